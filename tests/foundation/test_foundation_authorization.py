"""Role permissions (one table), separation of duties, and no mass assignment."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from referral.access.permissions import ROLE_PERMISSIONS, Permission, Role, require, role_can
from referral.access.scope import acting_as
from referral.accounts.models import User
from referral.agencies.models import Agency
from referral.cases.models import Case
from referral.extensions import db
from tests.fixtures import PASSWORD, actor, fresh, login
from tests.foundation.factories import make_case

CASEWORK = {Permission.CASE_READ, Permission.CASE_WRITE, Permission.CASE_CREATE,
            Permission.REFERRAL_SEND, Permission.REFERRAL_RESPOND}


def test_every_role_has_a_row_in_the_permission_table():
    assert set(ROLE_PERMISSIONS) == set(Role)


@pytest.mark.parametrize("role, allowed, refused", [
    (Role.OFFICER, CASEWORK, {Permission.USERS_MANAGE_OWN_AGENCY, Permission.USERS_MANAGE_ALL,
                              Permission.AGENCIES_MANAGE, Permission.AUDIT_VIEW}),
    (Role.AGENCY_MANAGER, CASEWORK | {Permission.USERS_MANAGE_OWN_AGENCY},
     {Permission.USERS_MANAGE_ALL, Permission.AGENCIES_MANAGE, Permission.AUDIT_VIEW}),
    (Role.COORDINATOR, {Permission.CASE_READ, Permission.REFERRAL_COORDINATE},
     {Permission.CASE_WRITE, Permission.CASE_CREATE, Permission.USERS_MANAGE_ALL,
      Permission.AUDIT_VIEW}),
    (Role.ADMINISTRATOR, {Permission.USERS_MANAGE_ALL, Permission.AGENCIES_MANAGE,
                          Permission.AUDIT_VIEW, Permission.REFERENCE_DATA_MANAGE},
     CASEWORK | {Permission.REFERRAL_COORDINATE}),
])
def test_role_permissions(role, allowed, refused):
    for permission in allowed:
        assert role_can(role, permission), (role, permission)
        assert role_can(role.value, permission)
    for permission in refused:
        assert not role_can(role, permission), (role, permission)


def test_unknown_roles_hold_nothing():
    for role in ("system", "", None, "root"):
        assert not any(role_can(role, p) for p in Permission)


def test_require_answers_404_without_the_permission(app, world):
    @require(Permission.AUDIT_VIEW)
    def view():
        return "ok"

    assert view.required_permission == Permission.AUDIT_VIEW
    with app.test_request_context():
        from werkzeug.exceptions import NotFound

        with pytest.raises(NotFound):
            view()


@pytest.mark.parametrize("who, path, status", [
    ("officer", "/admin/users", 404), ("officer", "/admin/audit", 404),
    ("officer", "/admin/agencies", 404), ("manager", "/admin/users", 200),
    ("manager", "/admin/agencies", 404), ("manager", "/admin/audit", 404),
    ("coordinator", "/admin/users", 404), ("admin", "/admin/audit", 200),
    ("admin", "/admin/agencies", 200), ("admin", "/admin/users", 200),
])
def test_pages_follow_the_permission_table(client, world, who, path, status):
    login(client, world[who])
    assert client.get(path).status_code == status


def test_administrators_see_no_case_content(ctx, world):
    admin = world["admin"]
    make_case(world["police"], world["officer"])
    make_case(world["admin_office"], admin)  # even a case of the admin's own agency
    make_case(world["police"], world["officer"], restricted=True, members=(admin,))
    db.session.commit()
    with acting_as(actor(admin)):
        assert db.session.execute(select(Case)).scalars().all() == []
        assert db.session.execute(select(func.count()).select_from(Case)).scalar_one() == 0


def test_administrators_get_404_on_every_case_route(app, ctx, client, world):
    case = make_case(world["police"], world["officer"])
    db.session.commit()
    login(client, world["admin"])
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(("cases.", "referrals.")) or "GET" not in rule.methods:
            continue
        values = {arg: case.id if arg.endswith("id") else "x" for arg in rule.arguments}
        url = adapter.build(rule.endpoint, values)
        response = client.get(url)
        if rule.arguments:
            assert response.status_code == 404, url
        else:
            assert case.reference not in response.get_data(as_text=True), url


# --- mass assignment: forms ignore fields they do not declare -------------------------------


def test_change_password_form_ignores_role_agency_and_active_fields(ctx, client, world):
    officer = world["officer"]
    login(client, officer)
    new = "another long passphrase"
    client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": new, "confirm_password": new,
        "role": "administrator", "agency_id": world["other_agency"].id, "is_active": "0",
        "must_change_password": "1", "email": "changed@test.example.org"})
    fresh()
    user = db.session.get(User, officer.id)
    assert (user.role, user.agency_id, user.is_active, user.email, user.must_change_password) == (
        Role.OFFICER, world["police"].id, True, officer.email, False)


def test_user_form_ignores_undeclared_fields(ctx, client, world):
    officer = world["officer"]
    login(client, world["admin"])
    response = client.post(f"/admin/users/{officer.id}", data={
        "version": officer.version, "full_name": "Renamed Officer", "email": officer.email,
        "phone": "", "agency_id": officer.agency_id, "role": "officer", "locale": "en",
        "is_active": "0", "must_change_password": "1", "password_hash": "x",
        "last_login_at": "2020-01-01", "id": "999"})
    assert response.status_code == 302
    fresh()
    user = db.session.get(User, officer.id)
    assert user.full_name == "Renamed Officer"
    assert user.is_active and not user.must_change_password
    assert user.password_hash == officer.password_hash
    assert user.last_login_at is None


def test_agency_manager_cannot_move_users_or_grant_roles_by_posting_values(ctx, client, world):
    officer = world["officer"]
    login(client, world["manager"])
    base = {"version": officer.version, "full_name": officer.full_name, "email": officer.email,
            "phone": "", "agency_id": officer.agency_id, "role": "officer", "locale": "en"}
    for change in ({"agency_id": world["other_agency"].id}, {"role": "administrator"},
                   {"role": "coordinator", "region_codes": "KZ-75"}):
        response = client.post(f"/admin/users/{officer.id}", data={**base, **change})
        assert response.status_code == 200, change
        assert "Not a valid choice" in response.get_data(as_text=True)
    fresh()
    user = db.session.get(User, officer.id)
    assert (user.role, user.agency_id) == (Role.OFFICER, world["police"].id)


def test_agency_form_ignores_undeclared_fields(ctx, client, world):
    agency = world["crisis_agency"]
    login(client, world["admin"])
    response = client.post(f"/admin/agencies/{agency.id}", data={
        "version": agency.version, "name": "Crisis A renamed", "type": agency.type,
        "region_code": agency.region_code, "district_id": "", "shelter_places": "2",
        "languages": "kk,ru", "is_active": "0", "id": "999", "created_at": "2020-01-01"})
    assert response.status_code == 302
    fresh()
    saved = db.session.get(Agency, agency.id)
    assert saved.name == "Crisis A renamed" and saved.is_active and saved.id == agency.id
