"""API tokens: who may grant what, the secret kept only as a hash, expiry, revocation,
deactivation, service accounts, the audit of calls and the command that makes a token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from referral.access.permissions import Role
from referral.access.scope import acting_as
from referral.accounts import service as accounts
from referral.api import token_service as ts
from referral.api.models import ApiToken
from referral.api.tokens import hash_token
from referral.audit.models import AuditEvent
from referral.errors import DomainError, NotVisible
from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications.models import Notification
from tests.api.helpers import Api
from tests.fixtures import actor, fresh, login, make_user


def _create(who, **fields) -> ts.Minted:
    request = ts.TokenRequest(**{"name": "Integration", "role": Role.OFFICER, **fields})
    with acting_as(actor(who)):
        minted = ts.create_token(actor(who), request)
    db.session.commit()
    return minted


def test_a_manager_grants_officer_or_manager_tokens_of_their_own_agency(world):
    manager = world["manager"]
    own = _create(manager, holder_id=manager.id, role=Role.AGENCY_MANAGER)
    assert (own.token.agency_id, own.token.role) == (world["police"].id, "agency_manager")
    service = _create(manager, service_account_name="Police records system")
    holder = service.token.user
    assert holder.is_service_account and holder.agency_id == world["police"].id
    assert holder.password_hash is None and holder.role == "officer"
    # the officer service account cannot carry a manager's token; nor an administrator's role
    with pytest.raises(DomainError):
        _create(manager, holder_id=holder.id, role=Role.AGENCY_MANAGER)
    with pytest.raises(DomainError):
        _create(manager, holder_id=manager.id, role=Role.ADMINISTRATOR)
    # an officer may not create tokens at all
    with pytest.raises(NotVisible):
        _create(world["officer"], holder_id=world["officer"].id)


def test_a_manager_of_another_agency_is_refused(world):
    service = _create(world["manager"], service_account_name="Police records system")
    other_manager = make_user(world["other_agency"], Role.AGENCY_MANAGER)
    with pytest.raises(NotVisible):
        _create(other_manager, holder_id=service.token.user_id)
    with pytest.raises(NotVisible):  # nor another agency's person
        _create(other_manager, holder_id=world["officer"].id)
    with pytest.raises(NotVisible), acting_as(actor(other_manager)):
        ts.revoke_token(actor(other_manager), service.token.id)
    assert service.token.id not in {t.id for t in ts.list_tokens(actor(other_manager))}


def test_an_administrator_makes_tokens_for_any_agency_and_its_managers_are_told(world):
    admin = world["admin"]
    minted = _create(admin, service_account_name="Regional system", agency_id=world["police"].id,
                     role=Role.AGENCY_MANAGER)
    assert minted.token.agency_id == world["police"].id
    told = db.session.execute(select(Notification.user_id)).scalars().all()
    assert world["manager"].id in told and world["officer"].id not in told
    assert minted.token.user_id not in told  # a service account is never messaged
    system = _create(admin, service_account_name="Monitoring", agency_id=world["admin_office"].id,
                     role=Role.ADMINISTRATOR)
    assert system.token.role == "administrator" and system.token.user.role == "administrator"
    with pytest.raises(NotVisible):  # administrators hold no personal agency token
        _create(admin, holder_id=world["officer"].id)


def test_the_secret_is_kept_only_as_its_hash(world):
    minted = _create(world["manager"], holder_id=world["manager"].id)
    row = db.session.get(ApiToken, minted.token.id)
    assert row.token_hash == hash_token(minted.secret) and minted.secret not in row.token_hash
    assert row.prefix == minted.secret[:12] and len(minted.secret) > 40
    audit = db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "api_token.create")).scalar_one()
    assert minted.secret not in str(audit.details) and audit.object_id == str(row.id)


def test_lifetime_is_bounded_and_expiry_refuses(app, world, client):
    manager = world["manager"]
    with pytest.raises(DomainError):
        _create(manager, holder_id=manager.id, days=app.config["API_TOKEN_MAX_DAYS"] + 1)
    minted = _create(manager, holder_id=manager.id, days=1)
    assert timedelta(hours=23) < minted.token.expires_at - utcnow() <= timedelta(days=1)
    api = Api(client, minted.secret)
    assert api.get("/me").status_code == 200
    fresh()  # the call wrote (last used): read again before writing
    db.session.get(ApiToken, minted.token.id).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert api.get("/me").status_code == 401


def test_revocation_is_immediate(world, client):
    minted = _create(world["manager"], holder_id=world["manager"].id)
    api = Api(client, minted.secret)
    assert api.get("/me").status_code == 200
    fresh()
    with acting_as(actor(world["manager"])):
        ts.revoke_token(actor(world["manager"]), minted.token.id)
    db.session.commit()
    answer = api.get("/me")
    assert answer.status_code == 401 and answer.mimetype == "application/problem+json"
    assert db.session.execute(select(AuditEvent.action).where(
        AuditEvent.action == "api_token.revoke")).scalar_one()


def test_a_deactivated_users_tokens_stop_working(world, client):
    officer_token = _create(world["manager"], service_account_name="Nightly export")
    api = Api(client, officer_token.secret)
    assert api.get("/me").status_code == 200
    fresh()
    with acting_as(actor(world["manager"])):
        accounts.set_active(actor(world["manager"]), officer_token.token.user, False)
    db.session.commit()
    assert api.get("/me").status_code == 401


def test_a_service_account_cannot_sign_in(world, client):
    minted = _create(world["manager"], service_account_name="Police records system")
    user = minted.token.user
    assert login(client, user.email, "").status_code != 302
    with pytest.raises(accounts.LoginRefused):
        accounts.authenticate(user.email, "anything")
    db.session.rollback()
    # even with a password set by mistake
    user.password_hash = world["officer"].password_hash
    db.session.commit()
    from tests.fixtures import PASSWORD

    assert login(client, user.email, PASSWORD).status_code == 401


def test_last_used_is_stamped_at_most_once_a_minute(world, client):
    minted = _create(world["manager"], holder_id=world["manager"].id)
    api = Api(client, minted.secret)
    api.get("/me")
    fresh()
    first = db.session.get(ApiToken, minted.token.id).last_used_at
    assert first is not None
    api.get("/me")
    fresh()
    assert db.session.get(ApiToken, minted.token.id).last_used_at == first
    db.session.get(ApiToken, minted.token.id).last_used_at = first - timedelta(minutes=2)
    db.session.commit()
    api.get("/me")
    fresh()
    assert db.session.get(ApiToken, minted.token.id).last_used_at > first


def test_reading_a_case_through_the_api_is_audited_as_the_page_with_the_token(world, client):
    """The same audit action as the case page, its row marked via=api with the token's id;
    the page's row carries no such mark."""
    from tests.cases import factories as cf

    case, _members = cf.family_case(actor(world["officer"]))
    db.session.commit()
    minted = _create(world["manager"], holder_id=world["manager"].id, role=Role.AGENCY_MANAGER)
    web = client.application.test_client()
    login(web, world["officer"])
    assert web.get(f"/cases/{case.id}").status_code == 200
    assert Api(client, minted.secret).get(f"/cases/{case.id}").status_code == 200
    fresh()
    page, api = db.session.execute(select(AuditEvent).where(
        AuditEvent.object_type == "case", AuditEvent.object_id == str(case.id),
        AuditEvent.action == "case.view").order_by(AuditEvent.id)).scalars().all()
    assert not (page.details or {}).get("via")
    assert api.details["via"] == "api" and api.details["token_id"] == minted.token.id
    assert api.actor_user_id == world["manager"].id


def test_the_audit_hook_adds_request_details_to_every_row(ctx):
    from referral.audit import service as audit

    audit.set_request_details({"via": "api", "token_id": 7})
    try:
        audit.record("case.view", object_type="case", object_id=1, details={"x": 1})
    finally:
        audit.set_request_details(None)
    audit.record("case.view", object_type="case", object_id=2)
    db.session.commit()
    first, second = db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "case.view").order_by(AuditEvent.id)).scalars().all()
    assert first.details == {"via": "api", "token_id": 7, "x": 1}
    assert second.details is None


def test_the_command_prints_a_service_account_token_once(app, world):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["api", "create-token", "--agency-id", str(world["police"].id),
                                 "--role", "officer", "--name", "Records system", "--days", "30"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    fresh()
    token = db.session.execute(select(ApiToken).where(
        ApiToken.token_hash == hash_token(secret))).scalar_one()
    assert token.user.is_service_account and token.agency_id == world["police"].id
    bad = runner.invoke(args=["api", "create-token", "--agency-id", "999999", "--role",
                              "officer", "--name", "x"])
    assert bad.exit_code != 0


def test_a_holder_moved_or_given_a_lesser_role_takes_the_tokens_power_at_once(world, client):
    """A token is bound to its agency and carries at most its holder's role: when the manager
    becomes an officer, or moves to another agency, their manager token stops working."""
    manager = world["manager"]
    demoted = Api(client, _create(manager, holder_id=manager.id, role=Role.AGENCY_MANAGER).secret)
    kept = Api(client, _create(manager, holder_id=manager.id, role=Role.OFFICER).secret)
    assert demoted.get("/me").status_code == kept.get("/me").status_code == 200
    fresh()
    manager = db.session.get(type(manager), manager.id)
    manager.role = Role.OFFICER
    db.session.commit()
    assert demoted.get("/me").status_code == 401
    assert kept.get("/me").status_code == 200
    manager.agency_id = world["other_agency"].id
    db.session.commit()
    assert kept.get("/me").status_code == 401


def test_an_administrator_makes_a_coordinator_system_for_a_region(world, client):
    """Statistics and the region's cases are for coordinators: a coordination office's system
    gets a coordinator service account that reads the office's region."""
    office = world["admin_office"]
    minted = _create(world["admin"], service_account_name="Regional dashboard",
                     agency_id=office.id, role=Role.COORDINATOR)
    holder = minted.token.user
    assert holder.role == "coordinator" and holder.region_codes == {office.region_code}
    me = Api(client, minted.secret).get("/me")
    assert me.status_code == 200 and me.json["role"] == "coordinator"
