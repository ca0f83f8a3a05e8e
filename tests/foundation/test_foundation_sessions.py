"""Server-side sessions: revocable, rotated at login, idle and absolute limits, POST logout."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from referral.accounts.models import UserSession
from referral.extensions import db
from referral.models_base import utcnow
from tests.fixtures import PASSWORD, fresh, login
from tests.foundation.factories import replay_cookie, session_cookie


def _at_login(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_cookie_copied_before_logout_does_not_work_after_it(client, world):
    login(client, world["officer"])
    assert client.get("/").status_code == 200
    copied = session_cookie(client)
    client.post("/logout")
    replay_cookie(client, copied)
    assert _at_login(client.get("/"))
    assert _at_login(client.get("/account/password"))


def test_the_cookie_holds_only_an_opaque_session_id(client, world):
    login(client, world["officer"])
    with client.session_transaction() as sess:
        assert set(sess) <= {"sid", "_user_id", "_fresh", "_id", "locale", "_permanent",
                             "csrf_token", "_flashes"}
        assert len(sess["sid"]) >= 40
    cookie = client.get_cookie("session")
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_login_rotates_the_session(ctx, client, world):
    with client.session_transaction() as sess:
        sess["sid"] = "planted-by-an-attacker"
        sess["left_over"] = "anonymous data"
    before = session_cookie(client)
    login(client, world["officer"])
    with client.session_transaction() as sess:
        assert sess["sid"] != "planted-by-an-attacker"
        assert "left_over" not in sess
        first_sid = sess["sid"]
    assert session_cookie(client) != before
    client.post("/logout")
    login(client, world["officer"])
    with client.session_transaction() as sess:
        assert sess["sid"] != first_sid


def test_logout_is_post_only(client, world):
    login(client, world["officer"])
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200  # GET did not log out
    response = client.post("/logout")
    assert _at_login(response)
    assert _at_login(client.get("/"))


def test_password_change_ends_the_other_sessions_but_keeps_this_one(app, world):
    officer = world["officer"]
    phone, laptop = app.test_client(), app.test_client()
    login(phone, officer)
    login(laptop, officer)
    new = "a brand new passphrase"
    response = laptop.post("/account/password", data={
        "current_password": PASSWORD, "new_password": new, "confirm_password": new})
    assert response.status_code == 302
    assert laptop.get("/").status_code == 200
    assert _at_login(phone.get("/"))


def test_deactivation_ends_sessions_at_once(ctx, app, world):
    officer_client, admin_client = app.test_client(), app.test_client()
    login(officer_client, world["officer"])
    login(admin_client, world["admin"])
    assert officer_client.get("/").status_code == 200
    response = admin_client.post(f"/admin/users/{world['officer'].id}/active/0")
    assert response.status_code == 302
    assert _at_login(officer_client.get("/"))
    fresh()
    live = db.session.execute(select(UserSession).where(
        UserSession.user_id == world["officer"].id, UserSession.revoked_at.is_(None))).all()
    assert live == []


def test_role_change_ends_sessions(ctx, app, world):
    officer_client, admin_client = app.test_client(), app.test_client()
    officer = world["officer"]
    login(officer_client, officer)
    login(admin_client, world["admin"])
    response = admin_client.post(f"/admin/users/{officer.id}", data={
        "version": officer.version, "full_name": officer.full_name, "email": officer.email,
        "phone": "", "agency_id": officer.agency_id, "role": "agency_manager", "locale": "en"})
    assert response.status_code == 302
    assert _at_login(officer_client.get("/"))


@pytest.mark.app_config(SESSION_IDLE_TIMEOUT=timedelta(minutes=30))
def test_idle_timeout(client, world):
    with time_machine.travel(utcnow(), tick=False) as traveller:
        login(client, world["officer"])
        traveller.shift(timedelta(minutes=20))
        assert client.get("/").status_code == 200  # activity keeps the session alive
        traveller.shift(timedelta(minutes=25))
        assert client.get("/").status_code == 200
        copied = session_cookie(client)
        traveller.shift(timedelta(minutes=31))
        assert _at_login(client.get("/"))
        replay_cookie(client, copied)
        assert _at_login(client.get("/"))


@pytest.mark.app_config(SESSION_IDLE_TIMEOUT=timedelta(minutes=30),
                        SESSION_ABSOLUTE_LIFETIME=timedelta(hours=2))
def test_absolute_lifetime_even_with_constant_activity(ctx, client, world):
    with time_machine.travel(utcnow(), tick=False) as traveller:
        login(client, world["officer"])
        for _ in range(5):  # 1 h 40 min of activity every 20 minutes
            traveller.shift(timedelta(minutes=20))
            assert client.get("/").status_code == 200
        copied = session_cookie(client)  # freshly signed: Flask itself would still accept it
        traveller.shift(timedelta(minutes=21))
        replay_cookie(client, copied)
        assert _at_login(client.get("/"))
    fresh()
    row = db.session.execute(select(UserSession)).scalar_one()
    assert row.revoked_reason == "expired"


def test_must_change_password_sends_every_page_to_the_change_form(ctx, client, world):
    officer = world["officer"]
    officer.must_change_password = True
    db.session.commit()
    response = login(client, officer)
    assert response.headers["Location"] == "/account/password"
    for path in ("/", "/admin/users", "/admin/audit"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"] == "/account/password"
    new = "my very own passphrase"
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": new, "confirm_password": new})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("target", [
    "//evil.example", "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
    "http:/evil.example", "\t//evil.example", "/\t/evil.example", "///evil.example",
])
def test_next_never_leaves_the_site(client, world, target):
    response = client.post("/login", data={
        "email": world["officer"].email, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_keeps_the_user_on_the_page_they_asked_for(client, world):
    response = client.get("/admin/users")
    assert _at_login(response)
    assert "next=" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="/admin/users"' in page
    response = client.post("/login", data={
        "email": world["manager"].email, "password": PASSWORD, "next": "/admin/users"})
    assert response.headers["Location"] == "/admin/users"
