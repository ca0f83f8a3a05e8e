"""Browser journeys on the seeded demo: Chromium through Playwright against a live server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from referral.access.scope import acting_as, system_actor
from referral.demo import DEMO_PASSWORD, demo_email, seed
from referral.extensions import db

pytestmark = [pytest.mark.browser, pytest.mark.app_config(WTF_CSRF_ENABLED=True)]

ROLES = [
    # demo login, name shown, role shown (its label), something only that role's home shows
    ("police", "Aigerim Nurlanovna", "Officer / caseworker", None),
    ("crisis", "Saule Maratovna", "Officer / caseworker", None),
    ("social", "Zhanna Tursynovna", "Officer / caseworker", None),
    ("police.manager", "Nurlan Bekovich", "Agency manager", "Your team"),
    ("coordinator", "Aliya Bolatovna", "Coordinator", None),
    ("admin", "System Administrator", "Administrator", "Administration"),
]


@pytest.fixture
def demo(ctx):
    with acting_as(system_actor("browser test: demo data")):
        seed()
        db.session.commit()
    db.session.remove()


def _log_in(page, local, password=DEMO_PASSWORD):
    page.goto("/login")
    page.get_by_label("E-mail").fill(demo_email(local))
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.parametrize("local, name, role, marker", ROLES)
def test_each_demo_role_logs_in_and_sees_its_home(demo, page, local, name, role, marker):
    _log_in(page, local)
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_role("heading", level=1).inner_text() == f"Welcome, {name}"
    assert page.get_by_test_id("role").inner_text() == role
    if marker:
        expect(page.get_by_role("heading", name=marker)).to_be_visible()
    if role != "Administrator":
        assert page.get_by_role("link", name="Audit log").count() == 0
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
def test_wrong_password_shows_a_clear_message(demo, page):
    _log_in(page, "police", "not the demo password")
    alert = page.get_by_role("alert")
    assert "The e-mail address or password is not correct." in alert.inner_text()
    assert page.get_by_label("E-mail").input_value() == demo_email("police")
    assert page.get_by_label("Password").input_value() == ""


def test_locked_account_shows_a_clear_message(demo, page):
    for _ in range(5):
        _log_in(page, "crisis", "not the demo password")
    _log_in(page, "crisis")
    text = page.get_by_role("alert").inner_text()
    assert "Too many failed attempts" in text and "paused for 15 minutes" in text
    assert "/login" in page.url


def test_logout_then_back_shows_no_personal_page(demo, page):
    _log_in(page, "social")
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator("body")).to_contain_text("Zhanna Tursynovna")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login"))
    expect(page.locator("body")).to_contain_text("You have logged out.")
    page.go_back()
    page.wait_for_load_state()
    assert "Zhanna Tursynovna" not in page.content()
    page.reload()
    assert "/login" in page.url
    assert "Zhanna Tursynovna" not in page.content()
