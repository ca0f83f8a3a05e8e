"""Migration 0022 on existing data, SQLite and PostgreSQL: a referral reassigned in place from
"declined" is split (the first agency keeps its decline), the opening is back-filled from the
audit trail, and on PostgreSQL the month figures are counted again without the split's loss;
downgrading turns "entered in error" into "cancelled"."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text

from referral import create_app
from tests.conftest import base_config
from tests.test_migrations import _insert_minimal, scratch_postgres  # noqa: F401 - fixture

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # sent to agency 2
T1 = T0 + timedelta(hours=3)  # agency 2 declines
T2 = T0 + timedelta(hours=5)  # the coordinator reassigns it in place to agency 3
SEEN = T2 + timedelta(minutes=5)  # a user of agency 3 opens it
T3 = T2 + timedelta(hours=1)  # agency 3 accepts


def _rows(stamp: Callable[[datetime], Any]) -> list[tuple[str, dict[str, Any]]]:
    """What 0021's schema held: referral 10 reassigned in place after a decline, referral 11
    reassigned in place while unanswered, and what the audit trail and outbox say of them."""
    history = [
        (10, "send", None, "sent", None, "", 1, 1, T0),
        (10, "decline", "sent", "declined", "no_capacity", "Full.", 2, 2, T1),
        (10, "reassign", "declined", "sent", None, "Closer.", 3, None, T2),
        (10, "accept", "sent", "accepted", None, "", 4, 3, T3),
        (11, "send", None, "sent", None, "", 1, 1, T0),
        (11, "reassign", "sent", "sent", None, "", 3, None, T1),
    ]
    rows: list[tuple[str, dict[str, Any]]] = [
        *(("agencies", {"id": i, "name": f"Agency {i}", "region_code": "KZ-75"})
          for i in (1, 2, 3)),
        *(("users", {"id": i, "email": f"u{i}@test.example.org", "agency_id": agency})
          for i, agency in ((1, 1), (2, 2), (3, 1), (4, 3))),
        ("cases", {"id": 1, "reference": "C-1", "region_code": "KZ-75", "restricted": False}),
        ("referrals", {"id": 10, "reference": "R-2026-000010", "idempotency_key": "k10",
                       "case_id": 1, "region_code": "KZ-75", "sender_agency_id": 1,
                       "sender_user_id": 1, "receiver_agency_id": 3, "service_code": "shelter",
                       "urgency": "urgent", "status": "accepted", "sent_at": stamp(T0),
                       "deadline_at": stamp(T2 + timedelta(hours=24)),
                       "accepted_at": stamp(T3), "accepted_by_id": 4, "case_closed": False,
                       "case_restricted": False}),
        ("referrals", {"id": 11, "reference": "R-2026-000011", "idempotency_key": "k11",
                       "case_id": 1, "region_code": "KZ-75", "sender_agency_id": 1,
                       "sender_user_id": 1, "receiver_agency_id": 3, "service_code": "shelter",
                       "urgency": "urgent", "status": "sent", "sent_at": stamp(T0),
                       "deadline_at": stamp(T1 + timedelta(hours=24)), "case_closed": False,
                       "case_restricted": False}),
        ("referral_consents", {"id": 1, "referral_id": 10, "consented": True,
                               "shared_with_agency_id": 2,
                               "categories": json.dumps(["identity_contact"]),
                               "recorded_by_id": 1, "recorded_at": stamp(T0)}),
        ("outbox_events", {"id": 1, "kind": "referral.reassigned", "subject_type": "referral",
                           "subject_id": 10, "created_at": stamp(T2),
                           "data": json.dumps({"previous_receiver_agency_id": 2})}),
        ("audit_events", {"id": 1, "action": "referral.view", "object_type": "referral",
                          "object_id": "10", "actor_user_id": 2, "actor_agency_id": 2,
                          "created_at": stamp(T1 - timedelta(minutes=1))}),
        ("audit_events", {"id": 2, "action": "referral.view", "object_type": "referral",
                          "object_id": "10", "actor_user_id": 4, "actor_agency_id": 3,
                          "created_at": stamp(SEEN)}),
    ]
    for i, (ref, action, frm, to, reason, note, user, agency, at) in enumerate(history, 1):
        rows.append(("referral_history", {
            "id": i, "referral_id": ref, "case_id": 1, "action": action, "from_status": frm,
            "to_status": to, "reason_code": reason, "note": note, "actor_user_id": user,
            "actor_agency_id": agency, "at": stamp(at)}))
    return rows


def _sqlite_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _check_split(conn: Any, postgres: bool) -> None:
    def when(value: Any) -> datetime:
        if isinstance(value, str):
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        return value.astimezone(UTC)

    kept = conn.execute(text("SELECT * FROM referrals WHERE id = 10")).mappings().one()
    part = conn.execute(text("SELECT * FROM referrals WHERE id = :id"),
                        {"id": kept["previous_referral_id"]}).mappings().one()
    # The first agency keeps its decline; the referral that went on is agency 3's, sent when
    # it was reassigned, opened when its user first viewed it (the audit trail).
    assert (part["receiver_agency_id"], part["status"], part["decline_reason"],
            part["decline_text"]) == (2, "declined", "no_capacity", "Full.")
    assert (when(part["sent_at"]), when(part["closed_at"])) == (T0, T1)
    assert part["reference"] == f"R-2026-{part['id']:06d}"
    assert when(part["received_at"]) == T1 - timedelta(minutes=1)
    assert (kept["receiver_agency_id"], kept["status"], when(kept["sent_at"])) == (
        3, "accepted", T2)
    assert (when(kept["received_at"]), kept["received_by_id"]) == (SEEN, 4)
    history = conn.execute(text(
        "SELECT referral_id, action, from_status, to_status FROM referral_history "
        "ORDER BY referral_id DESC, at, id")).all()
    assert [tuple(h) for h in history if h[0] != 11] == [
        (part["id"], "send", None, "sent"), (part["id"], "decline", "sent", "declined"),
        (part["id"], "reassign", "declined", "declined"), (10, "reassigned_in", None, "sent"),
        (10, "accept", "sent", "accepted")]
    categories = conn.execute(text("SELECT categories FROM referral_consents "
                                   "WHERE referral_id = :id"), {"id": part["id"]}).scalar_one()
    assert (json.loads(categories) if isinstance(categories, str) else categories) == [
        "identity_contact"]
    # Reassigned while unanswered: left in place, never opened by agency 3.
    unanswered = conn.execute(text("SELECT previous_referral_id, received_at FROM referrals "
                                   "WHERE id = 11")).one()
    assert tuple(unanswered) == (None, None)
    if postgres:
        figures = {r.receiver_agency_id: (r.received, r.accepted, r.opened, r.declines)
                   for r in conn.execute(text("SELECT * FROM referral_month_figures"))}
        assert figures == {2: (1, 0, 1, {"no_capacity": 1}), 3: (2, 1, 1, {})}


def _check_downgrade_of_entered_in_error(db: Any) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE referrals SET status = 'entered_in_error' WHERE id = 11"))
    downgrade(revision="0021")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT status, status_reason FROM referrals WHERE id = 11")
                            ).one() == ("cancelled", "other")
    upgrade()


def test_0022_on_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "data.sqlite"
    app = create_app(base_config(f"sqlite:///{path}"))
    with app.app_context():
        from referral.extensions import db

        upgrade(revision="0021")
        db.engine.dispose()
        raw = sqlite3.connect(path)
        with raw:
            for table, values in _rows(_sqlite_stamp):
                values = {k: (int(v) if isinstance(v, bool) else v) for k, v in values.items()}
                _insert_minimal(raw, table, values)
        raw.close()
        upgrade()
        with db.engine.connect() as conn:
            _check_split(conn, postgres=False)
        _check_downgrade_of_entered_in_error(db)
        db.session.remove()
        db.engine.dispose()


@contextmanager
def _postgres_rows(url: str) -> Iterator[None]:
    """0021's rows put in without their parents (foreign keys and triggers off for this
    connection only: ``session_replication_role``), each NOT NULL column given a value."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("SET session_replication_role = replica"))
        for table, values in _rows(lambda moment: moment):
            required = conn.execute(text(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = :t AND is_nullable = 'NO' AND column_default IS NULL"),
                {"t": table}).all()
            row = dict(values)
            for name, kind in required:
                if name not in row:
                    row[name] = (1 if "int" in kind else False if kind == "boolean"
                                 else T0 if "timestamp" in kind else "{}" if "json" in kind
                                 else "x")
            casts = {name: "::jsonb" if kind == "jsonb" else "::json" if kind == "json" else ""
                     for name, kind in conn.execute(text(
                         "SELECT column_name, data_type FROM information_schema.columns "
                         "WHERE table_name = :t"), {"t": table}).all()}
            marks = ", ".join(f"CAST(:{k} AS {casts[k][2:]})" if casts[k] else f":{k}"
                              for k in row)
            conn.execute(text(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({marks})"), row)
        for table in {table for table, _values in _rows(lambda moment: moment)}:
            # Ids given above: the sequences go on after them, as after real inserts.
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT max(id) FROM {table}))"))
    engine.dispose()
    yield


@pytest.mark.postgres
def test_0022_on_postgres(scratch_postgres: str) -> None:  # noqa: F811
    app = create_app(base_config(scratch_postgres))
    with app.app_context():
        from referral.extensions import db

        upgrade(revision="0021")
        db.engine.dispose()
        with _postgres_rows(scratch_postgres):
            upgrade()
        with db.engine.connect() as conn:
            _check_split(conn, postgres=True)
            trigger = conn.execute(text(
                "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
                "WHERE tgname = 'referrals_month_figures_update'")).scalar_one()
        assert "received_at" in trigger and "entered_in_error" in trigger
        _check_downgrade_of_entered_in_error(db)
        db.session.remove()
        db.engine.dispose()
