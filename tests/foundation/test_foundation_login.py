"""Login floor: lockout per account, identical answers for known and unknown accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from referral.accounts.models import User
from referral.audit.models import AuditEvent
from referral.extensions import db
from referral.models_base import utcnow
from tests.fixtures import PASSWORD, fresh, login
from tests.foundation.factories import without_csrf_tokens

MAX = 5  # LOGIN_MAX_FAILURES default


def _normalised(response, email):
    """Status and body, with the typed e-mail and the per-session CSRF token blanked out."""
    body = response.get_data(as_text=True).replace(email, "EMAIL")
    return response.status_code, without_csrf_tokens(body)


def test_login_with_the_right_password_goes_home(client, world):
    response = login(client, world["officer"])
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_wrong_password_is_refused_with_a_clear_message(client, world):
    response = login(client, world["officer"], "not the right password")
    assert response.status_code == 401
    assert "The e-mail address or password is not correct." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_known_and_unknown_accounts_get_identical_answers_and_lock_alike(client, world):
    known, unknown = world["officer"].email, "nobody-here@test.example.org"
    for attempt in range(MAX + 2):
        a = _normalised(login(client, known, "wrong password here"), known)
        b = _normalised(login(client, unknown, "wrong password here"), unknown)
        assert a == b, f"attempt {attempt + 1} differs"
    locked_known = _normalised(login(client, known, PASSWORD), known)
    locked_unknown = _normalised(login(client, unknown, PASSWORD), unknown)
    assert locked_known == locked_unknown
    assert locked_known[0] == 429  # this (account, address) pair is locked: see throttle.py
    assert "Too many failed attempts" in locked_known[1]


def test_deactivated_account_answers_like_an_unknown_one(ctx, client, world):
    officer = world["officer"]
    officer.is_active_account = False
    db.session.commit()
    a = _normalised(login(client, officer.email, PASSWORD), officer.email)
    b = _normalised(login(client, "nobody@test.example.org", PASSWORD), "nobody@test.example.org")
    assert a == b
    assert a[0] == 401


def test_lockout_after_repeated_failures_blocks_even_the_right_password(client, world):
    officer = world["officer"]
    for _ in range(MAX):
        login(client, officer, "wrong password here")
    response = login(client, officer, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_lockout_of_one_account_does_not_lock_out_others(client, world):
    for _ in range(MAX + 1):
        login(client, world["officer"], "wrong password here")
    assert login(client, world["manager"]).status_code == 302


def test_lockout_ends_after_the_lockout_period(client, world):
    officer = world["officer"]
    with time_machine.travel(utcnow(), tick=False) as traveller:
        for _ in range(MAX):
            login(client, officer, "wrong password here")
        assert login(client, officer).status_code == 429
        traveller.shift(timedelta(minutes=16))
        assert login(client, officer).status_code == 302


def test_email_is_matched_case_insensitively(client, world):
    assert login(client, world["officer"].email.upper()).status_code == 302


def test_login_records_last_login(ctx, client, world):
    officer = world["officer"]
    assert officer.last_login_at is None
    login(client, officer)
    fresh()
    assert db.session.get(User, officer.id).last_login_at is not None


def test_login_success_failure_and_locked_are_audited(ctx, client, world):
    officer = world["officer"]
    login(client, officer)
    client.post("/logout")
    for _ in range(MAX):
        login(client, officer, "wrong password here")
    login(client, officer)
    fresh()
    rows = db.session.execute(
        select(AuditEvent.action, AuditEvent.outcome, AuditEvent.object_id)
        .where(AuditEvent.action == "login").order_by(AuditEvent.id)
    ).all()
    outcomes = [r.outcome for r in rows]
    assert outcomes == ["success"] + ["failure"] * MAX + ["locked"]
    assert rows[0].object_id == str(officer.id)
    assert db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "logout")).scalar_one()


def test_parallel_guesses_cannot_exceed_the_limit(app, ctx, world):
    """Each failure is counted even when they arrive at once (atomic increments)."""
    import threading

    from referral.accounts import service
    from referral.accounts.models import LoginThrottle
    from referral.accounts.throttle import identifier_hash

    email = world["officer"].email
    barrier = threading.Barrier(MAX - 1)
    errors: list[BaseException] = []

    def guess() -> None:
        try:
            with app.test_request_context():
                barrier.wait(timeout=10)
                try:
                    service.authenticate(email, "wrong password here")
                except service.LoginRefused:
                    db.session.commit()
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=guess) for _ in range(MAX - 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    fresh()
    if errors and db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers; parallel failures are covered on PostgreSQL")
    assert errors == []
    row = db.session.execute(select(LoginThrottle).where(
        LoginThrottle.identifier_hash == identifier_hash(email))).scalar_one()
    assert row.failures == MAX - 1 and row.locked_until is None
    with app.test_request_context():
        try:
            service.authenticate(email, "wrong password here")
        except service.LoginRefused as refused:
            assert refused.locked_until is None
            assert "Too many failed attempts" in refused.message
        db.session.commit()
