"""Self-service password reset by e-mail: same answer for every address, one-time hashed link."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from referral.accounts.models import PasswordReset, User, UserSession
from referral.audit.models import AuditEvent
from referral.events.models import OutboxEvent
from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications.models import Notification
from referral.notifications.service import set_email_preference
from tests.accounts.account_mail import link_path, send_outbox
from tests.fixtures import PASSWORD, actor, fresh, login
from tests.foundation.factories import without_csrf_tokens
from tests.notifications.conftest import smtp  # noqa: F401 - the real SMTP server fixture

NEW = "a brand new passphrase for work"
UNKNOWN = "nobody-at-all@test.example.org"


def ask(client, email, address="203.0.113.10"):
    return client.post("/password/forgot", data={"email": email},
                       environ_base={"REMOTE_ADDR": address})


def _normalised(response, email):
    body = response.get_data(as_text=True).replace(email, "EMAIL")
    return response.status_code, without_csrf_tokens(body)


def _reset_link(smtp_sink, email) -> str:  # noqa: F811 - not the fixture
    assert send_outbox() == 1
    [mail] = smtp_sink.to(email)
    return link_path(mail.body)


def test_the_login_page_links_to_the_reset_form(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in page
    assert client.get("/password/forgot").status_code == 200


@pytest.mark.app_config(PASSWORD_RESET_ANSWER_SECONDS=0.3)
def test_known_and_unknown_addresses_get_the_same_answer_in_the_same_time(client, world):
    known = world["officer"].email
    timings = {}
    answers = {}
    for email in (known, UNKNOWN, known, UNKNOWN):
        started = time.monotonic()
        response = ask(client, email)
        timings.setdefault(email, []).append(time.monotonic() - started)
        answers.setdefault(email, set()).add(_normalised(response, email))
    assert answers[known] == answers[UNKNOWN]
    [(status, body)] = answers[known]
    assert status == 200 and 'data-testid="reset-sent"' in body
    for email in (known, UNKNOWN):
        assert all(0.3 <= t < 0.6 for t in timings[email]), timings
    assert abs(sum(timings[known]) - sum(timings[UNKNOWN])) < 0.2


def test_the_whole_reset_through_a_real_smtp_server(ctx, app, client, world, smtp):  # noqa: F811
    officer = world["officer"]
    other_device = app.test_client()
    assert login(other_device, officer).status_code == 302
    ask(client, officer.email)
    fresh()
    row = db.session.execute(select(PasswordReset)).scalar_one()
    assert row.token_hash is None  # no token exists before the e-mail is composed
    event = db.session.execute(select(OutboxEvent).where(
        OutboxEvent.kind == "account.password_reset")).scalar_one()
    assert set(event.data) == {"user_id"}

    path = _reset_link(smtp, officer.email)
    [mail] = smtp.to(officer.email)
    token = path.rsplit("/", 1)[1]
    assert path == f"/password/reset/{token}"
    assert officer.full_name not in mail.body and officer.email not in mail.body
    row = db.session.execute(select(PasswordReset)).scalar_one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()  # only the hash is kept
    assert row.expires_at - row.created_at == timedelta(minutes=30)
    # E-mail only: no line in the app's notification list.
    assert db.session.execute(select(Notification)).first() is None

    assert client.get(path).status_code == 200
    done = client.post(path, data={"new_password": NEW, "confirm_password": NEW})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    # Every session of the user ended; the link is spent; the new password works.
    assert other_device.get("/").status_code == 302
    fresh()
    assert db.session.execute(select(UserSession).where(
        UserSession.user_id == officer.id, UserSession.revoked_at.is_(None))).first() is None
    assert client.get(path).status_code == 404
    again = client.post(path, data={"new_password": NEW + "!", "confirm_password": NEW + "!"})
    assert again.status_code == 404
    assert login(client, officer, PASSWORD).status_code == 401
    assert login(app.test_client(), officer, NEW).status_code == 302
    fresh()
    actions = db.session.execute(select(AuditEvent.action, AuditEvent.object_id).where(
        AuditEvent.action.like("user.password_reset%")).order_by(AuditEvent.id)).all()
    assert actions == [("user.password_reset_request", str(officer.id)),
                       ("user.password_reset_complete", str(officer.id))]


def test_an_unknown_address_writes_no_reset_and_sends_nothing(ctx, client, world, smtp):  # noqa: F811
    ask(client, UNKNOWN)
    fresh()
    assert db.session.execute(select(PasswordReset)).first() is None
    assert send_outbox() == 0
    assert smtp.messages == []
    audited = db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "user.password_reset_request")).scalar_one()
    assert audited.outcome == "failure" and audited.object_id is None


def test_the_new_password_follows_the_password_policy(ctx, client, world, smtp):  # noqa: F811
    ask(client, world["officer"].email)
    path = _reset_link(smtp, world["officer"].email)
    refused = client.post(path, data={"new_password": "password1234",
                                      "confirm_password": "password1234"})
    assert refused.status_code == 200
    assert "too common" in refused.get_data(as_text=True)
    short = client.post(path, data={"new_password": "short", "confirm_password": "short"})
    assert "at least 12" in short.get_data(as_text=True)
    fresh()
    assert db.session.execute(select(PasswordReset.used_at)).scalar_one() is None


def test_the_link_expires_after_the_configured_time(ctx, client, world, smtp):  # noqa: F811
    with time_machine.travel(utcnow(), tick=False) as traveller:
        ask(client, world["officer"].email)
        path = _reset_link(smtp, world["officer"].email)
        traveller.shift(timedelta(minutes=31))
        assert client.get(path).status_code == 404
        assert client.post(path, data={"new_password": NEW,
                                       "confirm_password": NEW}).status_code == 404


def test_a_newer_email_replaces_the_earlier_link(ctx, client, world, smtp):  # noqa: F811
    email = world["officer"].email
    ask(client, email)
    first = _reset_link(smtp, email)
    ask(client, email)
    assert send_outbox() == 1
    second = link_path(smtp.to(email)[-1].body)
    assert client.post(second, data={"new_password": NEW,
                                     "confirm_password": NEW}).status_code == 302
    assert client.get(first).status_code == 404  # every open reset of the user is spent


def test_the_reset_mail_goes_even_to_a_user_who_turned_email_off(ctx, client, world, smtp):  # noqa: F811
    officer = world["officer"]
    set_email_preference(actor(officer), enabled=False)
    db.session.commit()
    ask(client, officer.email)
    assert _reset_link(smtp, officer.email).startswith("/password/reset/")


def test_a_deactivated_account_gets_the_same_answer_and_no_mail(ctx, client, world, smtp):  # noqa: F811
    officer = db.session.get(User, world["officer"].id)
    officer.is_active_account = False
    db.session.commit()
    a = _normalised(ask(client, officer.email), officer.email)
    b = _normalised(ask(client, UNKNOWN), UNKNOWN)
    assert a == b
    assert send_outbox() == 0


def test_the_reset_lifts_the_account_locks_and_its_global_slow_down(app, ctx, client, world, smtp):  # noqa: F811
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "6 per hour"
    officer = world["officer"]
    attacker, owner = "198.51.100.66", "203.0.113.10"

    def attempt(password, address):
        return app.test_client().post("/login", data={"email": officer.email,
                                                      "password": password},
                                      environ_base={"REMOTE_ADDR": address})

    for _ in range(5):
        attempt("wrong password here!", attacker)
    attempt("wrong password here!", "192.0.2.1")
    assert attempt(PASSWORD, owner).status_code == 429  # the account is slowed everywhere
    ask(client, officer.email, address=owner)
    path = _reset_link(smtp, officer.email)
    client.post(path, data={"new_password": NEW, "confirm_password": NEW})
    assert attempt(NEW, owner).status_code == 302
    assert attempt(NEW, attacker).status_code == 302  # the pair's lock is lifted too


def test_reset_requests_are_throttled_alike_for_known_and_unknown(client, world):
    known = world["officer"].email
    for n in range(3):  # PASSWORD_RESET_LIMIT_PER_ACCOUNT: 3 per hour
        assert ask(client, known, address=f"192.0.2.{n}").status_code == 200
        assert ask(client, UNKNOWN, address=f"192.0.2.{n}").status_code == 200
    a, b = ask(client, known, "192.0.2.9"), ask(client, UNKNOWN, "192.0.2.9")
    assert a.status_code == b.status_code == 429
    assert a.headers["Retry-After"] and b.headers["Retry-After"]


@pytest.mark.app_config(PASSWORD_RESET_LIMIT_PER_ADDRESS="2 per hour")
def test_reset_requests_are_throttled_per_address(client, world):
    for n in range(2):
        assert ask(client, f"someone{n}@test.example.org").status_code == 200
    refused = ask(client, "someone-else@test.example.org")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def test_a_real_worker_sends_the_reset_email(app, ctx, client, world, smtp, tmp_path):  # noqa: F811
    """The same path as every notification: outbox, a Celery worker, the SMTP server."""
    from celery.contrib.testing.worker import start_worker

    from tests.notifications.factories import wait_for
    from workers import celery_init_app

    app.config["CELERY_BROKER_URL"] = f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    celery = celery_init_app(app)
    officer = world["officer"]
    ask(client, officer.email)
    with start_worker(celery, pool="solo", perform_ping_check=False, loglevel="WARNING",
                      shutdown_timeout=20):
        celery.send_task("referral.notifications.publish")
        wait_for(lambda: smtp.messages, what="the reset e-mail through the worker")
    [mail] = smtp.to(officer.email)
    assert mail.subject == "Reset your password"
    path = link_path(mail.body)
    assert client.post(path, data={"new_password": NEW, "confirm_password": NEW}
                       ).status_code == 302
    assert login(app.test_client(), officer, NEW).status_code == 302
