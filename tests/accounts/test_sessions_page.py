"""The sessions page: a user sees where they are logged in and ends sessions (POST, audited)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from referral.accounts.device_names import device_label
from referral.accounts.models import UserSession
from referral.audit.models import AuditEvent
from referral.extensions import db
from tests.fixtures import PASSWORD, fresh

FIREFOX_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 "
                   "Firefox/128.0")
CHROME_ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
                  "Gecko) Chrome/126.0.0.0 Mobile Safari/537.36")


def _login(client, user, *, agent, address):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD},
                           headers={"User-Agent": agent}, environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 302
    return client


def _ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-testid="session-(\d+)"', html)]


@pytest.mark.parametrize(("agent", "label"), [
    (FIREFOX_WINDOWS, "Firefox, Windows"),
    (CHROME_ANDROID, "Chrome, Android"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Safari/605.1.15", "Safari, macOS"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0", "Edge, Windows"),
    ("curl/8.5.0", ""),
    ("<script>alert(1)</script>", ""),
])
def test_the_device_label_is_short_and_never_the_raw_agent(agent, label):
    assert device_label(agent) == label


def test_the_page_lists_active_sessions_and_marks_this_one(app, ctx, world):
    officer = world["officer"]
    laptop = _login(app.test_client(), officer, agent=FIREFOX_WINDOWS, address="203.0.113.10")
    phone = _login(app.test_client(), officer, agent=CHROME_ANDROID, address="198.51.100.7")
    _login(app.test_client(), world["manager"], agent=CHROME_ANDROID, address="192.0.2.1")
    phone.post("/logout")
    _login(app.test_client(), officer, agent=CHROME_ANDROID, address="198.51.100.8")
    html = laptop.get("/account/sessions").get_data(as_text=True)
    assert len(_ids(html)) == 2  # the logged-out one and the manager's are not listed
    assert "Firefox, Windows" in html and "203.0.113.10" in html
    assert "Chrome, Android" in html and "198.51.100.8" in html
    assert "198.51.100.7" not in html and "192.0.2.1" not in html
    assert html.count('data-testid="current-session"') == 1
    current = re.search(r'data-testid="session-(\d+)">\s*<p><strong>Firefox', html)
    assert current, "this device is marked"
    assert laptop.get("/account/password").get_data(as_text=True).count("/account/sessions") == 1


def test_ending_one_session_logs_that_device_out_and_is_audited(app, ctx, world):
    officer = world["officer"]
    laptop = _login(app.test_client(), officer, agent=FIREFOX_WINDOWS, address="203.0.113.10")
    phone = _login(app.test_client(), officer, agent=CHROME_ANDROID, address="198.51.100.7")
    fresh()
    phone_id = db.session.execute(select(UserSession.id).where(
        UserSession.device == "Chrome, Android")).scalar_one()
    assert laptop.get(f"/account/sessions/{phone_id}/end").status_code == 405  # POST only
    assert laptop.post(f"/account/sessions/{phone_id}/end").status_code == 302
    assert phone.get("/").status_code == 302  # back to the login page
    assert laptop.get("/").status_code == 200
    fresh()
    row = db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "user.session_end")).scalar_one()
    assert row.object_id == str(phone_id) and row.actor_user_id == officer.id


def test_another_users_session_cannot_be_ended(app, ctx, world):
    laptop = _login(app.test_client(), world["officer"], agent=FIREFOX_WINDOWS, address="1.1.1.1")
    manager = _login(app.test_client(), world["manager"], agent=CHROME_ANDROID, address="2.2.2.2")
    fresh()
    theirs = db.session.execute(select(UserSession.id).where(
        UserSession.user_id == world["manager"].id)).scalar_one()
    assert laptop.post(f"/account/sessions/{theirs}/end").status_code == 404
    assert manager.get("/").status_code == 200


def test_end_all_others_keeps_this_one(app, ctx, world):
    officer = world["officer"]
    laptop = _login(app.test_client(), officer, agent=FIREFOX_WINDOWS, address="203.0.113.10")
    others = [_login(app.test_client(), officer, agent=CHROME_ANDROID, address=f"192.0.2.{n}")
              for n in range(3)]
    assert laptop.post("/account/sessions/end-others").status_code == 302
    assert all(other.get("/").status_code == 302 for other in others)
    html = laptop.get("/account/sessions").get_data(as_text=True)
    assert len(_ids(html)) == 1
    fresh()
    row = db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "user.sessions_end_others")).scalar_one()
    assert row.details == {"count": 3}


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_ending_sessions_needs_the_csrf_token(app, ctx, world):
    laptop = app.test_client()
    page = laptop.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert laptop.post("/login", data={"email": world["officer"].email, "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    assert laptop.post("/account/sessions/end-others").status_code == 400
    html = laptop.get("/account/sessions").get_data(as_text=True)
    assert 'name="csrf_token"' in html


def test_the_sessions_page_needs_a_login(client):
    response = client.get("/account/sessions")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
