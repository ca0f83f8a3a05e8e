"""The pages of password reset, login throttling and sessions fit a 360 px phone (in Kazakh),
and the reset works end to end in a real browser."""

from __future__ import annotations

from typing import Any

import pytest

from referral.accounts.models import User
from referral.extensions import db
from tests.fixtures import PASSWORD
from tests.test_narrow_screens import WIDTH, _overflow

pytestmark = [pytest.mark.browser,
              pytest.mark.app_config(WTF_CSRF_ENABLED=True, LOGIN_LIMIT_PER_ADDRESS="2 per hour")]


def _phone(browser: Any, live_server: str) -> Any:
    context = browser.new_context(base_url=live_server, locale="kk-KZ",
                                  viewport={"width": WIDTH, "height": 740},
                                  user_agent="Mozilla/5.0 (Linux; Android 14; Pixel 8) "
                                             "AppleWebKit/537.36 (KHTML, like Gecko) "
                                             "Chrome/126.0.0.0 Mobile Safari/537.36")
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def _log_in(page: Any, email: str, password: str) -> Any:
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    with page.expect_navigation() as nav:
        page.locator("button.primary").click()
    return nav.value


def test_account_pages_fit_360_px(ctx: Any, world: dict, browser: Any, live_server: str) -> None:
    officer = db.session.get(User, world["officer"].id)
    officer.locale = "kk"
    db.session.commit()
    wide = []
    desk = _phone(browser, live_server)
    _log_in(desk, officer.email, PASSWORD)  # a second session to list
    desk.context.close()
    page = _phone(browser, live_server)
    try:
        _log_in(page, officer.email, PASSWORD)
        page.goto("/account/sessions")
        assert page.locator('[data-testid="current-session"]').count() == 1
        assert page.locator('[data-testid^="session-"]').count() == 2
        wide.append(("sessions", _overflow(page)))
        page.context.clear_cookies()
        page.goto("/login")
        wide.append(("login", _overflow(page)))
        page.locator('[data-testid="forgot-password"]').click()
        page.wait_for_url("**/password/forgot")
        wide.append(("forgot", _overflow(page)))
        page.locator("#email").fill("someone.with.a.long.address@test.example.org")
        with page.expect_navigation():
            page.locator("button.primary").click()
        assert page.locator('[data-testid="reset-sent"]').is_visible()
        wide.append(("sent", _overflow(page)))
        page.goto("/password/reset/not-a-real-token")
        wide.append(("invalid", _overflow(page)))
        for _ in range(2):  # LOGIN_LIMIT_PER_ADDRESS: 2 failures an hour
            _log_in(page, "nobody@test.example.org", "wrong password here")
        refused = _log_in(page, officer.email, PASSWORD)
        assert refused.status == 429
        assert page.locator('[data-testid="too-many"]').is_visible()
        wide.append(("429", _overflow(page)))
    finally:
        page.context.close()
    assert all(not problem for _, problem in wide), wide
