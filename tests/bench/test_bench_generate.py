"""The benchmark's data generator, at a tiny scale on SQLite: counts, references, the audit chain.

No timing here: the benchmark itself (python -m bench.run) is never part of the test run.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.generate import generate, make_app, read_meta
from referral.cases import risk
from referral.cases.iin import parse_iin


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("bench") / "bench.sqlite"
    result = generate(f"sqlite:///{path}", scale=0.0005, quiet=True,
                      anchor=datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    return path, result


def test_counts_follow_the_scale_and_the_plan(generated: tuple[Path, dict]) -> None:
    path, result = generated
    counts = result["counts"]
    assert counts["cases"] == 500 and counts["audit_events"] == 5000
    assert counts["regions"] == 20 and counts["districts"] == 200
    db = sqlite3.connect(path)
    for table in ("cases", "people", "case_participants", "incidents", "referrals",
                  "notifications", "audit_events"):
        assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] >= counts[table]
    assert 2 * counts["cases"] <= counts["people"] <= 4 * counts["cases"]
    assert 1.5 * counts["cases"] <= counts["referrals"] <= 2.5 * counts["cases"]
    statuses = {s for (s,) in db.execute("SELECT DISTINCT status FROM referrals")}
    assert {"sent", "accepted", "in_progress", "completed", "declined", "expired"} <= statuses


def test_every_reference_points_at_a_row(generated: tuple[Path, dict]) -> None:
    path, _result = generated
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    references = [r for (r,) in db.execute("SELECT reference FROM cases")]
    assert len(set(references)) == len(references)


def test_iins_are_synthetic_but_valid(generated: tuple[Path, dict]) -> None:
    path, _result = generated
    db = sqlite3.connect(path)
    rows = db.execute("SELECT iin, birth_date, sex FROM people WHERE iin IS NOT NULL").fetchall()
    assert rows
    for iin, born, sex in rows[:300]:
        info = parse_iin(iin)
        assert info.birth_date.isoformat() == born and info.sex == sex


def test_the_audit_chain_verifies_and_the_due_referrals_wait(generated: tuple[Path, dict]
                                                             ) -> None:
    path, _result = generated
    from referral.audit.service import verify_chain

    app = make_app(f"sqlite:///{path}")
    with app.app_context():
        report = verify_chain()
    assert report.ok and report.rows_checked >= 5000
    meta = read_meta(app)
    assert meta["anchor"].startswith("2026-06-01T09:00") and meta["due"] == 1
    db = sqlite3.connect(path)
    due = db.execute("SELECT count(*) FROM referrals WHERE status = 'sent' AND deadline_at <= ?",
                     (meta["anchor"].replace("T", " ")[:19],)).fetchone()[0]
    assert due == 1


def test_each_case_knows_whether_a_referral_of_it_was_taken_up(
        generated: tuple[Path, dict]) -> None:
    """The flag the triggers of migration 0015 keep, as loaded: both kinds present."""
    path, _result = generated
    db = sqlite3.connect(path)
    found = dict(db.execute("SELECT id, referral_accepted FROM cases").fetchall())
    taken = {case_id for (case_id,) in db.execute(
        "SELECT case_id FROM referrals WHERE status IN "
        "('accepted', 'in_progress', 'on_hold', 'completed')")}
    assert {case_id for case_id, flag in found.items() if flag} == taken
    assert taken and len(taken) < len(found)


def test_each_referral_carries_its_case_restriction(generated: tuple[Path, dict]) -> None:
    """The copy the triggers of migration 0017 keep, written by the generator itself (it loads
    with triggers off on PostgreSQL): both kinds present, and each equal to its case's."""
    path, _result = generated
    db = sqlite3.connect(path)
    rows = db.execute("SELECT r.case_restricted, c.restricted FROM referrals r "
                      "JOIN cases c ON c.id = r.case_id").fetchall()
    assert rows and all(bool(copy) == bool(flag) for copy, flag in rows)
    assert {bool(copy) for copy, _flag in rows} == {True, False}


def test_risk_assessments_carry_the_version_and_the_level_their_answers_give(
        generated: tuple[Path, dict]) -> None:
    """The generator's answers avoid red flags and danger signs past the threshold, so the level
    it chose from the count is the one the instrument gives (issue 19)."""
    path, _result = generated
    rows = sqlite3.connect(path).execute(
        "SELECT answers, level, score, instrument_version, explanation FROM risk_assessments"
    ).fetchall()
    assert rows
    inst = risk.current()
    limits = risk.Thresholds(inst.medium_from, inst.high_from, inst.group_high_from)
    for answers, level, score, version, explanation in rows:
        given = {code: a["answer"] for code, a in json.loads(answers).items()}
        outcome = risk.evaluate(inst, given, limits)
        assert (outcome.level, outcome.yes, version) == (level, score, risk.CURRENT_VERSION)
        assert json.loads(explanation)["rules"] == list(outcome.rules)


def test_the_floor_ladder_serves_a_generated_user_and_audits_its_rungs(
        generated: tuple[Path, dict]) -> None:
    """The benchmark's floor ladder (bench/harness.py) does each rung's duty for real: the
    session's user, an audit row committed in the request, the application's page frame."""
    from bench.generate import PASSWORD
    from bench.harness import csrf_token, make_bench_app

    path, _result = generated
    db = sqlite3.connect(path)
    (email,) = db.execute("SELECT email FROM users WHERE role = 'officer' "
                          "ORDER BY id LIMIT 1").fetchone()
    app = make_bench_app(f"sqlite:///{path}")
    client = app.test_client()
    assert client.get("/_bench/floor-session").status_code == 302  # logged out: to the login
    page = client.get("/login").get_data(as_text=True)
    assert client.post("/login", data={"email": email, "password": PASSWORD,
                                       "csrf_token": csrf_token(page)}).status_code == 302

    def audited() -> int:
        return db.execute("SELECT count(*) FROM audit_events WHERE action = 'bench.floor'"
                          ).fetchone()[0]

    before = audited()
    session_rung = client.get("/_bench/floor-session")
    assert session_rung.status_code == 200 and audited() == before
    assert client.get("/_bench/floor-audited").status_code == 200 and audited() == before + 1
    framed = client.get("/_bench/floor-framed").get_data(as_text=True)
    assert audited() == before + 2
    assert "<nav" in framed and "<nav" not in session_rung.get_data(as_text=True)
