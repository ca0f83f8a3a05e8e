"""The help pages in Chromium: at 360 px in Kazakh (the longest words) nothing scrolls sideways,
and a newcomer's first login lands on the guide and goes on from there."""

from __future__ import annotations

import re
from typing import Any

import pytest

from referral.access.permissions import Role
from referral.extensions import db
from referral.help.guides import GUIDE_TITLES
from tests.fixtures import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.app_config(WTF_CSRF_ENABLED=True)]

WIDTH = 360


def _log_in(page: Any, email: str) -> None:
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("button.primary").click()


def _overflow(page: Any) -> str:
    return str(page.evaluate(
        """(width) => document.documentElement.scrollWidth <= width ? "" :
           Array.from(document.querySelectorAll("body *"))
             .filter(e => e.getBoundingClientRect().right > width + 1)
             .slice(-3).map(e => e.tagName + ": " + (e.textContent || "").trim().slice(0, 40))
             .join(" | ")""", WIDTH))


def test_help_pages_fit_a_360_px_phone_in_kazakh(world: Any, browser: Any, live_server: str
                                                 ) -> None:
    world["manager"].locale = "kk"
    db.session.commit()
    context = browser.new_context(base_url=live_server, locale="kk-KZ",
                                  viewport={"width": WIDTH, "height": 740})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto("/help/emergency")
        assert not _overflow(page)
        _log_in(page, "manager@test.example.org")
        wide = []
        for path in ("/help", *(f"/help/{g}" for g in GUIDE_TITLES), "/help/emergency"):
            assert page.goto(path).status == 200
            if problem := _overflow(page):
                wide.append(f"{path}: {problem}")
        assert not wide, "\n".join(wide)
        # Every link of the guide is at least 24 px high (WCAG 2.5.8), the header's included.
        small = page.locator("header a, .help-roles a, .help-numbers a").evaluate_all(
            "els => els.filter(e => e.getBoundingClientRect().height < 24)"
            ".map(e => e.textContent.trim())")
        assert not small, small
    finally:
        context.close()


def test_a_newcomer_lands_on_the_guide_once_and_goes_on_to_work(
        world: Any, page: Any) -> None:
    make_user(world["crisis_agency"], Role.OFFICER, email="newcomer@test.example.org",
              guide_seen_at=None)
    db.session.commit()
    _log_in(page, "newcomer@test.example.org")
    assert re.search(r"/help\?first=1$", page.url)
    assert page.get_by_role("heading", level=1).inner_text() == \
        "Guide: Crisis center or social worker"
    with page.expect_navigation():
        page.get_by_role("link", name="Continue to your work").click()
    assert page.url.endswith("/")
    page.get_by_test_id("help-link").click()
    page.wait_for_url(re.compile(r"/help$"))
    assert page.get_by_test_id("first-login").count() == 0
