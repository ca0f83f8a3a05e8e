"""User management: administrators everywhere, agency managers in their own agency only."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from sqlalchemy import select

from referral.accounts.models import User
from referral.extensions import db
from referral.models_base import utcnow
from tests.fixtures import PASSWORD, fresh, login, make_user

NEW_PASSWORD = "a long enough passphrase"


def _new_user(client, agency_id, role="officer", *, email="new.person@test.example.org",
              setup="password", password=NEW_PASSWORD, **extra):
    return client.post("/admin/users/new", data={
        "full_name": "New Person", "email": email, "agency_id": agency_id, "role": role,
        "locale": "en", "setup": setup, "initial_password": password, **extra})


def _by_email(email):
    fresh()
    return db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()


def _invite_path(response):
    html = response.get_data(as_text=True)
    link = re.search(r'data-testid="invite-link">([^<]+)<', html).group(1)
    return link.replace("http://localhost", "")


def _edit_data(user, **changes):
    data = {"version": user.version, "full_name": user.full_name, "email": user.email,
            "phone": user.phone, "agency_id": user.agency_id, "role": user.role, "locale": "en"}
    data.update(changes)
    return data


def test_admin_creates_a_user_in_any_agency_with_an_initial_password(ctx, app, client, world):
    login(client, world["admin"])
    response = _new_user(client, world["other_agency"].id, "agency_manager")
    assert response.status_code == 302
    user = _by_email("new.person@test.example.org")
    assert (user.agency_id, user.role, user.must_change_password) == (
        world["other_agency"].id, "agency_manager", True)
    newcomer = app.test_client()
    assert login(newcomer, user.email, NEW_PASSWORD).headers["Location"] == "/account/password"
    assert newcomer.get("/").headers["Location"] == "/account/password"


def test_admin_creates_a_coordinator_with_regions(ctx, client, world):
    login(client, world["admin"])
    response = _new_user(client, world["akimat"].id, "coordinator", region_codes=[])
    assert "A coordinator needs at least one region." in response.get_data(as_text=True)
    response = _new_user(client, world["akimat"].id, "coordinator",
                         region_codes=["KZ-75", "KZ-43"])
    assert response.status_code == 302
    assert _by_email("new.person@test.example.org").region_codes == {"KZ-75", "KZ-43"}


def test_admin_edits_and_deactivates_users_in_any_agency(ctx, client, world):
    other = world["other"]
    login(client, world["admin"])
    response = client.post(f"/admin/users/{other.id}",
                           data=_edit_data(other, full_name="Renamed", phone="+7 700 1"))
    assert response.status_code == 302
    assert client.post(f"/admin/users/{other.id}/active/0").status_code == 302
    user = _by_email(other.email)
    assert (user.full_name, user.phone, user.is_active) == ("Renamed", "+7 700 1", False)
    assert client.post(f"/admin/users/{other.id}/active/1").status_code == 302
    assert _by_email(other.email).is_active


def test_nobody_deactivates_their_own_account(ctx, client, world):
    login(client, world["admin"])
    response = client.post(f"/admin/users/{world['admin'].id}/active/0", follow_redirects=True)
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    assert _by_email(world["admin"].email).is_active


def test_agency_manager_manages_officers_and_managers_of_their_agency(ctx, client, world):
    login(client, world["manager"])
    assert _new_user(client, world["police"].id, "officer").status_code == 302
    assert _new_user(client, world["police"].id, "agency_manager",
                     email="second.manager@test.example.org").status_code == 302
    officer = world["officer"]
    response = client.post(f"/admin/users/{officer.id}", data=_edit_data(officer, phone="1"))
    assert response.status_code == 302
    assert client.post(f"/admin/users/{officer.id}/active/0").status_code == 302
    assert not _by_email(officer.email).is_active


def test_agency_manager_cannot_reach_other_agencies_or_roles(ctx, client, world):
    coordinator_here = make_user(world["police"], "coordinator", regions=("KZ-75",))
    db.session.commit()
    login(client, world["manager"])
    for target in (world["other"], world["admin"], world["crisis"], coordinator_here):
        assert client.get(f"/admin/users/{target.id}").status_code == 404
        assert client.post(f"/admin/users/{target.id}/active/0").status_code == 404
        assert client.post(f"/admin/users/{target.id}/reset-password").status_code == 404
    for agency_id, role in ((world["other_agency"].id, "officer"),
                            (world["police"].id, "administrator"),
                            (world["police"].id, "coordinator")):
        response = _new_user(client, agency_id, role, region_codes=["KZ-75"])
        assert response.status_code == 200
    assert _by_email("new.person@test.example.org") is None
    listed = client.get("/admin/users").get_data(as_text=True)
    assert world["officer"].email in listed and world["other"].email not in listed


def test_officers_and_coordinators_cannot_manage_users(client, world):
    for who in ("officer", "coordinator"):
        login(client, world[who])
        assert client.get("/admin/users").status_code == 404
        assert client.get("/admin/users/new").status_code == 404
        assert _new_user(client, world["police"].id).status_code == 404
        client.post("/logout")


def test_invitation_link_sets_a_password_once(ctx, app, client, world):
    login(client, world["admin"])
    response = _new_user(client, world["police"].id, setup="invite", password="")
    assert response.status_code == 200
    path = _invite_path(response)
    user = _by_email("new.person@test.example.org")
    assert user.password_hash is None and not user.must_change_password
    guest = app.test_client()
    page = guest.get(path)
    assert page.status_code == 200 and user.email in page.get_data(as_text=True)
    refused = guest.post(path, data={"new_password": "short", "confirm_password": "short"})
    assert "at least 12 characters" in refused.get_data(as_text=True)
    done = guest.post(path, data={"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert done.status_code == 302
    assert guest.get(path).status_code == 404  # single use
    again = guest.post(path, data={"new_password": "another passphrase here",
                                   "confirm_password": "another passphrase here"})
    assert again.status_code == 404
    # The first login shows the role's guide once (referral/accounts/first_login.py).
    assert login(guest, user.email, NEW_PASSWORD).headers["Location"] == "/help?first=1"


def test_expired_invitation_link_is_refused(ctx, app, client, world):
    login(client, world["admin"])
    path = _invite_path(_new_user(client, world["police"].id, setup="invite", password=""))
    with time_machine.travel(utcnow() + timedelta(days=3, minutes=1), tick=False):
        guest = app.test_client()
        response = guest.get(path)
        assert response.status_code == 404
        assert "no longer valid" in response.get_data(as_text=True)
        response = guest.post(path, data={"new_password": NEW_PASSWORD,
                                          "confirm_password": NEW_PASSWORD})
        assert response.status_code == 404
    assert _by_email("new.person@test.example.org").password_hash is None


def test_unknown_invitation_token_is_refused(client):
    assert client.get("/invitation/not-a-real-token").status_code == 404


def test_reset_password_ends_sessions_and_issues_a_new_link(ctx, app, client, world):
    officer = world["officer"]
    officer_client = app.test_client()
    login(officer_client, officer)
    login(client, world["admin"])
    response = client.post(f"/admin/users/{officer.id}/reset-password")
    assert response.status_code == 200
    path = _invite_path(response)
    assert officer_client.get("/").status_code == 302
    assert login(officer_client, officer).status_code == 401  # old password gone
    officer_client.post(path, data={"new_password": NEW_PASSWORD,
                                    "confirm_password": NEW_PASSWORD})
    assert login(officer_client, officer, NEW_PASSWORD).status_code == 302


def test_last_login_is_shown(ctx, client, world):
    login(client, world["officer"])
    client.post("/logout")
    login(client, world["admin"])
    html = client.get("/admin/users").get_data(as_text=True)
    row = re.search(rf"{re.escape(world['officer'].email)}.*?</tr>", html, re.S).group(0)
    never = re.search(rf"{re.escape(world['other'].email)}.*?</tr>", html, re.S).group(0)
    assert re.search(r"\d{1,2}/\d{1,2}/\d{2}", row), row
    assert "—" in never
    page = client.get(f"/admin/users/{world['officer'].id}").get_data(as_text=True)
    assert re.search(r"Last login: \d", page)


def test_stale_edit_is_refused_and_nothing_is_lost(ctx, app, world):
    officer = world["officer"]
    first, second = app.test_client(), app.test_client()
    login(first, world["admin"])
    login(second, world["manager"])
    opened = officer.version
    assert first.post(f"/admin/users/{officer.id}",
                      data=_edit_data(officer, full_name="Name From First")).status_code == 302
    response = second.post(f"/admin/users/{officer.id}",
                           data=_edit_data(officer, version=opened, phone="+7 777 123 45 67"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Someone else changed this user" in html
    assert 'value="+7 777 123 45 67"' in html  # what the second person typed is still there
    assert "Name From First" in html  # and the saved value is shown to compare
    saved = _by_email(officer.email)
    assert (saved.full_name, saved.phone) == ("Name From First", "")
    current = re.search(r'name="version" type="hidden" value="(\d+)"', html)
    current = current or re.search(r'id="version" name="version" type="hidden" value="(\d+)"', html)
    assert int(current.group(1)) == saved.version
    resubmit = second.post(f"/admin/users/{officer.id}", data=_edit_data(
        saved, version=saved.version, phone="+7 777 123 45 67"))
    assert resubmit.status_code == 302
    assert _by_email(officer.email).phone == "+7 777 123 45 67"


def test_a_login_does_not_make_an_open_edit_form_stale(ctx, app, client, world):
    officer = world["officer"]
    opened = officer.version
    login(app.test_client(), officer)
    login(client, world["admin"])
    response = client.post(f"/admin/users/{officer.id}",
                           data=_edit_data(officer, version=opened, full_name="Still Fine"))
    assert response.status_code == 302


def test_form_keeps_typed_values_on_error(client, world):
    login(client, world["admin"])
    response = _new_user(client, world["police"].id, email="not-an-email",
                         password="short", phone="+7 701 000 00 00")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="New Person"' in html
    assert 'value="not-an-email"' in html
    assert 'value="+7 701 000 00 00"' in html
    assert "Enter a valid e-mail address." in html


def test_initial_password_must_follow_the_policy(ctx, client, world):
    login(client, world["admin"])
    response = _new_user(client, world["police"].id, password="password1234")
    assert "too common" in response.get_data(as_text=True)
    response = _new_user(client, world["police"].id, password="")
    assert "Enter an initial password" in response.get_data(as_text=True)
    assert _by_email("new.person@test.example.org") is None


def test_stale_agency_edit_is_refused_and_nothing_is_lost(ctx, app, world):
    agency = world["police"]
    admin2 = make_user(world["admin_office"], "administrator")
    db.session.commit()
    first, second = app.test_client(), app.test_client()
    login(first, world["admin"])
    login(second, admin2)
    data = {"version": agency.version, "name": agency.name, "type": agency.type,
            "region_code": agency.region_code, "district_id": "", "shelter_places": "0",
            "languages": "kk,ru"}
    assert first.post(f"/admin/agencies/{agency.id}",
                      data={**data, "phone": "+7 1"}).status_code == 302
    response = second.post(f"/admin/agencies/{agency.id}", data={**data, "name": "Typed Name"})
    html = response.get_data(as_text=True)
    assert "Someone else changed this agency" in html
    assert 'value="Typed Name"' in html


def test_password_is_never_on_the_command_line_or_in_urls(client, world):
    login(client, world["admin"])
    page = client.get("/admin/users/new").get_data(as_text=True)
    assert re.search(r'<form method="post"', page)
    assert PASSWORD not in page
