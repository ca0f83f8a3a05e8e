"""Recovery codes: ten, shown once, hashed at rest, each good for one login."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select

from referral.accounts import recovery_codes
from referral.accounts.factors import RecoveryCode
from referral.extensions import db
from referral.web.transaction import run_action
from tests.accounts.factor_helpers import audit_rows, enrol_totp
from tests.fixtures import PASSWORD, fresh, login, run_in_threads

FORMAT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")


def _stored(user_id: int) -> list[RecoveryCode]:
    return list(db.session.execute(select(RecoveryCode).where(
        RecoveryCode.user_id == user_id)).scalars())


def test_ten_random_codes_are_kept_only_as_hashes(ctx, world):
    user = world["officer"]
    codes = recovery_codes.issue(user)
    db.session.commit()
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(FORMAT.match(c) for c in codes)
    stored = {row.code_hash for row in _stored(user.id)}
    assert stored == {hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes}
    assert not any(c.replace("-", "") in h for c in codes for h in stored)


def test_a_code_works_once_however_it_is_typed(ctx, world):
    user = world["officer"]
    codes = recovery_codes.issue(user)
    typed = codes[0].lower().replace("-", " ")
    assert recovery_codes.use(user.id, typed)
    assert not recovery_codes.use(user.id, codes[0])
    assert not recovery_codes.use(world["manager"].id, codes[1])  # not another user's
    assert not recovery_codes.use(user.id, "0000-0000-0000-0000")
    zero = next((c for c in codes[1:] if "0" in c), None)
    if zero:  # a person reads 0 as O
        assert recovery_codes.use(user.id, zero.replace("0", "O"))
    db.session.commit()
    assert len(audit_rows("second_factor.recovery_code_used")) == (2 if zero else 1)


def test_new_codes_replace_the_old_ones(ctx, world):
    user = world["officer"]
    old = recovery_codes.issue(user)
    new = recovery_codes.issue(user)
    assert not recovery_codes.use(user.id, old[0])
    assert recovery_codes.use(user.id, new[0])
    assert len(_stored(user.id)) == 10


def test_two_requests_with_one_code_let_one_through(app, ctx, world):
    user_id = world["officer"].id
    codes = recovery_codes.issue(world["officer"])
    db.session.commit()
    db.session.remove()
    passed = []

    def attempt(_n: int) -> None:
        with app.app_context():
            if run_action(lambda: recovery_codes.use(user_id, codes[3])):
                passed.append(1)
            db.session.remove()

    assert run_in_threads(attempt, 4) == []
    assert passed == [1]


def test_a_recovery_code_logs_in_once(app, ctx, world):
    user = world["officer"]
    _secret, codes = enrol_totp(user)
    first = app.test_client()
    login(first, user)
    assert first.post("/login/second-factor", data={"one_time_code": codes[0]}).status_code == 302
    assert first.get("/account/second-factor").status_code == 200
    again = app.test_client()
    login(again, user)
    assert again.post("/login/second-factor", data={"one_time_code": codes[0]}).status_code == 401
    assert again.get("/account/second-factor").status_code == 302
    fresh()
    assert [r.details for r in audit_rows("login.second_factor") if r.outcome == "success"] == [
        {"method": "recovery_code"}]
    page = first.get("/account/second-factor").get_data(as_text=True)
    assert "9 unused recovery codes left of 10." in page


def test_new_codes_need_the_password_and_are_shown_once(client, ctx, world):
    user = world["officer"]
    _secret, old = enrol_totp(user)
    login(client, user)
    client.post("/login/second-factor", data={"one_time_code": old[0]})
    refused = client.post("/account/second-factor/recovery-codes",
                          data={"codes-password": "not the password"})
    assert refused.status_code == 400
    assert "The current password is not correct." in refused.get_data(as_text=True)
    fresh()
    assert recovery_codes.use(user.id, old[1])
    db.session.commit()
    made = client.post("/account/second-factor/recovery-codes", data={"codes-password": PASSWORD})
    page = made.get_data(as_text=True)
    new = re.findall(r"<li><code>([^<]+)</code></li>", page)
    assert made.status_code == 200 and len(new) == 10
    fresh()
    assert not recovery_codes.use(user.id, old[2])
    assert recovery_codes.use(user.id, new[0])
    assert audit_rows("second_factor.recovery_codes_issued")
