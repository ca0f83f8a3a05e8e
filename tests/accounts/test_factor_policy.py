"""Who must have a second factor, the enrolment gate, removal, and a manager's reset."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from referral.access.permissions import ROLE_PERMISSIONS, Permission, Role
from referral.accounts import second_factor as sf
from referral.accounts.factors import Passkey, RecoveryCode, TotpFactor
from referral.config import ConfigurationError, ProductionConfig, TestingConfig
from referral.events.models import OutboxEvent
from referral.extensions import db
from referral.notifications.models import Notification
from tests.accounts.factor_helpers import audit_rows, code, enrol_totp, secret_of
from tests.fixtures import PASSWORD, fresh, login


def _passkey(user, name="Key"):
    key = Passkey(user_id=user.id, credential_id=f"cred-{user.id}-{name}", public_key=b"k",
                  sign_count=0, name=name)
    db.session.add(key)
    db.session.commit()
    return key


def _login_with_code(client, user, secret):
    login(client, user)
    return client.post("/login/second-factor", data={"one_time_code": code(secret)})


def test_the_setting_names_roles_or_the_roles_that_read_case_content(ctx):
    readers = {r.value for r, perms in ROLE_PERMISSIONS.items() if Permission.CASE_READ in perms}
    assert readers == {"officer", "agency_manager", "coordinator"}
    assert sf.required_roles("none") == frozenset()
    assert sf.required_roles("all") == {r.value for r in Role}
    assert sf.required_roles("case_readers") == readers
    assert sf.required_roles(" Coordinator, administrator ") == {"coordinator", "administrator"}
    with pytest.raises(ConfigurationError):
        sf.required_roles("officer,adminstrator")
    # Production: every role that reads case content, and administrators; tests: optional.
    assert sf.required_roles(ProductionConfig.SECOND_FACTOR_ROLES) == readers | {"administrator"}
    assert sf.required_roles(TestingConfig.SECOND_FACTOR_ROLES) == frozenset()


def test_optional_by_default_a_user_without_a_factor_logs_in_with_the_password(client, world):
    assert login(client, world["officer"]).headers["Location"] != "/login/second-factor"
    assert client.get("/account/second-factor").status_code == 200


@pytest.mark.app_config(SECOND_FACTOR_ROLES="officer")
def test_a_required_role_must_enrol_before_any_other_page(client, ctx, world):
    officer = world["officer"]
    login(client, officer)
    assert client.get("/").headers["Location"] == "/account/second-factor"
    assert client.get("/cases/").headers["Location"] == "/account/second-factor"
    page = client.get("/account/second-factor")
    assert "Your role requires a second factor" in page.get_data(as_text=True)
    client.post("/account/second-factor/totp/start")
    assert client.get("/account/second-factor/totp").status_code == 200
    fresh()
    client.post("/account/second-factor/totp", data={"one_time_code": code(secret_of(officer))})
    assert client.get("/").status_code == 200
    manager = client.application.test_client()  # another role is not held at the gate
    login(manager, world["manager"])
    assert manager.get("/account/second-factor").status_code == 200
    assert manager.get("/").headers.get("Location") != "/account/second-factor"


@pytest.mark.app_config(SECOND_FACTOR_ROLES="officer")
def test_the_last_factor_of_a_required_role_cannot_be_removed(client, ctx, world):
    officer = world["officer"]
    secret, _codes = enrol_totp(officer)
    _login_with_code(client, officer, secret)
    response = client.post("/account/second-factor/totp/remove",
                           data={"totp-password": PASSWORD}, follow_redirects=True)
    assert "Your role requires a second factor" in response.get_data(as_text=True)
    fresh()
    assert sf.has_factor(officer.id)


def test_removing_needs_the_password_and_takes_unguarded_codes_with_it(client, ctx, world):
    officer = world["officer"]
    secret, _codes = enrol_totp(officer)
    _login_with_code(client, officer, secret)
    wrong = client.post("/account/second-factor/totp/remove", data={"totp-password": "nope"})
    assert wrong.status_code == 400
    fresh()
    assert sf.has_factor(officer.id)
    done = client.post("/account/second-factor/totp/remove", data={"totp-password": PASSWORD})
    assert done.status_code == 302
    fresh()
    assert not sf.has_factor(officer.id)
    assert db.session.execute(select(RecoveryCode).where(
        RecoveryCode.user_id == officer.id)).first() is None
    assert [r.details for r in audit_rows("second_factor.remove")] == [{"method": "totp"}]
    logged_out = client.application.test_client()
    assert login(logged_out, officer).headers["Location"] != "/login/second-factor"


def test_a_passkey_is_listed_and_only_its_owner_removes_it(client, ctx, world):
    officer, other = world["officer"], world["crisis"]
    key = _passkey(officer, "Blue key")
    login(client, other)
    assert client.post(f"/account/second-factor/passkeys/{key.id}/remove",
                       data={f"pk{key.id}-password": PASSWORD}).status_code == 404
    owner = client.application.test_client()
    login(owner, officer)  # a passkey only (no browser here): the step offers it alone
    assert "Use a passkey" in owner.get("/login/second-factor").get_data(as_text=True)
    fresh()
    db.session.delete(db.session.get(Passkey, key.id))
    db.session.commit()


def test_a_manager_resets_a_users_factors_ends_their_sessions_and_tells_them(app, ctx, world):
    officer = world["officer"]
    secret, _codes = enrol_totp(officer)
    _passkey(officer)
    user_client = app.test_client()
    _login_with_code(user_client, officer, secret)
    assert user_client.get("/account/second-factor").status_code == 200
    manager = app.test_client()
    login(manager, world["manager"])
    edit = manager.get(f"/admin/users/{officer.id}").get_data(as_text=True)
    assert "Reset second factor" in edit
    response = manager.post(f"/admin/users/{officer.id}/second-factor/reset")
    assert response.headers["Location"] == f"/admin/users/{officer.id}"
    assert user_client.get("/account/second-factor").status_code == 302  # session ended
    fresh()
    for model in (TotpFactor, Passkey, RecoveryCode):
        assert db.session.execute(select(model).where(model.user_id == officer.id)).first() is None
    [row] = audit_rows("second_factor.reset")
    assert (row.object_id, row.actor_user_id) == (str(officer.id), world["manager"].id)
    event = db.session.execute(select(OutboxEvent).where(
        OutboxEvent.kind == "account.second_factor_reset")).scalar_one()
    assert event.data == {"user_id": officer.id, "reference": "2FA"}  # ids only, no secret
    assert db.session.execute(select(Notification.user_id).where(
        Notification.event_id == event.id)).scalars().all() == [officer.id]


@pytest.mark.parametrize("who", ["officer", "crisis", "other", "coordinator"])
def test_only_those_who_manage_the_user_may_reset(app, ctx, world, who):
    target = world["manager"] if who == "officer" else world["officer"]
    secret, _codes = enrol_totp(target)
    client = app.test_client()
    login(client, world[who])
    assert client.post(f"/admin/users/{target.id}/second-factor/reset").status_code == 404
    fresh()
    assert sf.has_factor(target.id)


def test_an_administrator_resets_anyone(app, ctx, world):
    target = world["coordinator"]
    enrol_totp(target)
    client = app.test_client()
    login(client, world["admin"])
    assert client.post(f"/admin/users/{target.id}/second-factor/reset").status_code == 302
    fresh()
    assert not sf.has_factor(target.id)


def test_the_relying_party_comes_from_configuration_never_the_request(app, ctx, world):
    from referral.accounts import passkeys

    ctx.config["PUBLIC_BASE_URL"] = "https://referral.example.kz/"
    assert (passkeys.rp_id(), passkeys.origin()) == ("referral.example.kz",
                                                     "https://referral.example.kz")
    ctx.config["PUBLIC_BASE_URL"] = "http://127.0.0.1:5000"  # the demo: an IP is no rp id
    assert (passkeys.rp_id(), passkeys.origin()) == ("localhost", "http://localhost:5000")
    ctx.config.update(WEBAUTHN_RP_ID="example.kz", WEBAUTHN_ORIGIN="https://app.example.kz")
    assert (passkeys.rp_id(), passkeys.origin()) == ("example.kz", "https://app.example.kz")
    client = app.test_client()
    login(client, world["officer"])
    page = client.get("/account/second-factor/passkeys/new").get_data(as_text=True)
    assert "Passkeys work only at https://app.example.kz" in page
    assert "&#34;id&#34;: &#34;example.kz&#34;" in page  # the options name the configured rp
