"""The authenticator app (TOTP): secret at rest, ±1 step, one use per code, the login step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from referral.accounts import second_factor as sf
from referral.accounts import throttle
from referral.accounts.factors import TotpFactor
from referral.accounts.models import LoginThrottle
from referral.errors import DomainError
from referral.extensions import db
from referral.models_base import utcnow
from referral.web.transaction import run_action
from tests.accounts.factor_helpers import audit_rows, code, enrol_totp, secret_of
from tests.fixtures import fresh, login, run_in_threads


def test_the_secret_is_stored_encrypted_and_bound_to_its_user(ctx, world):
    user = world["officer"]
    factor = sf.start_totp(user)
    db.session.commit()
    secret = secret_of(user)
    assert len(secret) == 32 and factor.secret.startswith("v1:")
    assert secret not in factor.secret
    assert sf.open_secret(factor.secret, world["manager"].id) is None  # another user's row
    ctx.config["SECRET_KEY"] = "another-secret-key-of-some-length-000"
    assert sf.open_secret(factor.secret, user.id) is None


def test_a_new_app_counts_only_once_confirmed_with_a_code(ctx, world):
    user = world["officer"]
    sf.start_totp(user)
    secret = secret_of(user)
    assert not sf.has_factor(user.id)
    with pytest.raises(DomainError):
        sf.confirm_totp(user, "000000" if code(secret) != "000000" else "111111")
    codes = sf.confirm_totp(user, code(secret))
    db.session.commit()
    assert sf.has_factor(user.id)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert [r.details for r in audit_rows("second_factor.enrol")] == [{"method": "totp"}]
    with pytest.raises(DomainError):
        sf.start_totp(user)  # a second app only after removing the first


def test_codes_of_the_neighbouring_steps_pass_and_farther_ones_fail(ctx, world):
    user = world["officer"]
    secret, _codes = enrol_totp(user)
    now = utcnow()
    assert not sf.check_totp(user.id, code(secret, steps=-2, at=now), now=now)
    assert not sf.check_totp(user.id, code(secret, steps=2, at=now), now=now)
    assert sf.check_totp(user.id, code(secret, at=now), now=now)
    assert sf.check_totp(user.id, code(secret, steps=1, at=now), now=now)


def test_a_code_works_once_and_an_older_one_not_after_a_newer(ctx, world):
    user = world["officer"]
    secret, _codes = enrol_totp(user)
    now = utcnow()
    current = code(secret, at=now)
    assert sf.check_totp(user.id, " ".join([current[:3], current[3:]]), now=now)  # as typed
    assert not sf.check_totp(user.id, current, now=now)
    assert not sf.check_totp(user.id, code(secret, steps=-1, at=now), now=now)
    db.session.commit()
    stored = db.session.execute(select(TotpFactor).where(TotpFactor.user_id == user.id)).scalar()
    assert stored.last_used_step == int(now.timestamp()) // 30


def test_two_requests_with_one_code_let_one_through(app, ctx, world):
    user_id = world["officer"].id
    secret, _codes = enrol_totp(world["officer"])
    now = utcnow()
    current = code(secret, at=now)
    passed = []

    def attempt(_n: int) -> None:
        with app.app_context():
            if run_action(lambda: sf.check_totp(user_id, current, now=now)):
                passed.append(1)
            db.session.remove()

    db.session.remove()
    assert run_in_threads(attempt, 4) == []
    assert passed == [1]


def test_login_waits_for_the_code_and_logs_in_after_it(client, ctx, world):
    user = world["officer"]
    secret, _codes = enrol_totp(user)
    response = login(client, user)
    assert response.headers["Location"] == "/login/second-factor"
    assert client.get("/account/second-factor").status_code == 302  # not logged in yet
    page = client.get("/login/second-factor")
    assert page.status_code == 200 and "authenticator app" in page.get_data(as_text=True)
    wrong = client.post("/login/second-factor", data={"one_time_code": "12345x"})
    assert wrong.status_code == 401
    ok = client.post("/login/second-factor", data={"one_time_code": code(secret)})
    assert ok.status_code == 302
    assert client.get("/account/second-factor").status_code == 200
    fresh()
    assert [(r.outcome, r.details) for r in audit_rows("login.second_factor")] == [
        ("failure", {"method": "recovery_code"}), ("success", {"method": "totp"})]


def test_a_code_used_to_log_in_cannot_log_in_again(app, ctx, world):
    user = world["officer"]
    secret, _codes = enrol_totp(user)
    current = code(secret)
    first, second = app.test_client(), app.test_client()
    login(first, user)
    login(second, user)
    assert first.post("/login/second-factor", data={"one_time_code": current}).status_code == 302
    assert second.post("/login/second-factor", data={"one_time_code": current}).status_code == 401
    assert second.get("/account/second-factor").status_code == 302


@pytest.mark.app_config(SECOND_FACTOR_LOGIN_TIMEOUT=timedelta(seconds=0))
def test_the_pending_login_expires(client, ctx, world):
    user = world["officer"]
    secret, _codes = enrol_totp(user)
    login(client, user)
    response = client.post("/login/second-factor", data={"one_time_code": code(secret)})
    assert response.headers["Location"] == "/login"
    assert client.get("/account/second-factor").status_code == 302


def test_failed_codes_lock_the_login_and_a_password_does_not_reset_the_count(client, ctx, world):
    user = world["officer"]
    secret, _codes = enrol_totp(user)
    statuses = []
    for _ in range(2):  # two rounds of four wrong codes, a correct password between
        login(client, user)
        for _ in range(4):
            answer = client.post("/login/second-factor", data={"one_time_code": "000000"})
            statuses.append(answer.status_code)
    # The fifth failure locks (the password's count restarted; the factor's did not); the
    # pending login is then gone.
    assert statuses == [401] * 4 + [429] + [302] * 3
    assert client.get("/login/second-factor").status_code == 302
    login(client, user)
    response = client.post("/login/second-factor", data={"one_time_code": code(secret)})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert "Too many failed attempts" in response.get_data(as_text=True)
    assert client.get("/account/second-factor").status_code == 302
    fresh()
    assert db.session.execute(select(LoginThrottle).where(
        LoginThrottle.locked_until.is_not(None))).first() is not None
    assert len([r for r in audit_rows("login.second_factor") if r.outcome == "failure"]) >= 5


def test_the_enrolment_pages_show_a_qr_code_drawn_here_and_the_key(client, ctx, world):
    user = world["officer"]
    login(client, user)
    assert client.post("/account/second-factor/totp/start").headers["Location"] == (
        "/account/second-factor/totp")
    page = client.get("/account/second-factor/totp").get_data(as_text=True)
    fresh()
    secret = secret_of(user)
    assert 'src="data:image/svg+xml' in page
    assert " ".join(secret[i:i + 4] for i in range(0, 32, 4)) in page
    wrong = client.post("/account/second-factor/totp", data={"one_time_code": "000000"})
    assert "That code is not correct" in wrong.get_data(as_text=True)
    done = client.post("/account/second-factor/totp", data={"one_time_code": code(secret)})
    assert done.status_code == 200
    assert done.get_data(as_text=True).count("<li><code>") == 10
    fresh()
    assert sf.has_factor(user.id)


def test_a_password_reset_lifts_the_factor_lock_too(ctx, world):
    user = world["officer"]
    for _ in range(5):
        sf.record_failure(user, "totp", address="192.0.2.1")
    assert sf.locked_until(user.email, "198.51.100.7")  # the account's factor count, anywhere
    throttle.unlock_account(user.email)
    assert sf.locked_until(user.email, "198.51.100.7") is None
    assert sf.locked_until(user.email, "192.0.2.1") is None
