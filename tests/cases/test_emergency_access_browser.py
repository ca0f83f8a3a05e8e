"""Browser journey at 360 px (Chromium, CSRF on): a crisis-center officer finds a case of the
police by its reference, opens it with emergency access, reads it under the banner; the
coordinator marks it reviewed. No page scrolls sideways."""

from __future__ import annotations

import re

import pytest

from referral.extensions import db
from tests.cases import factories as f
from tests.cases.test_cases_browser import log_in
from tests.fixtures import PASSWORD, actor

pytestmark = [pytest.mark.browser, pytest.mark.app_config(WTF_CSRF_ENABLED=True)]


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


@pytest.mark.parametrize("language", ["en", "kk"])
def test_break_the_glass_at_360_px(page, world, language):
    case, _members = f.family_case(actor(world["officer"]))
    for name in ("crisis", "coordinator"):
        world[name].locale = language
    db.session.commit()
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, world["crisis"])
    page.goto("/cases")
    page.locator("input[name=term]").fill(case.reference)
    page.locator("form[action$='/cases/search'] button[type=submit]").click()
    form = page.locator("#emergency-access")
    form.locator("textarea[name=reason]").wait_for()
    _fits(page)
    form.locator("textarea[name=reason]").fill(
        "Survivor at our door at night, injured, needs the safety plan")
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/cases/{case.id}$"))
    banner = page.get_by_test_id("emergency-banner")
    assert banner.is_visible()
    assert ("Шұғыл" if language == "kk" else "Emergency access") in banner.inner_text()
    _fits(page)
    page.locator("form[action$='/logout'] button").click()

    log_in(page, world["coordinator"])
    page.goto("/coordination/review")
    row = page.get_by_test_id("emergency-row")
    assert case.reference in row.inner_text()
    _fits(page)
    row.locator("button").click()
    page.wait_for_url(re.compile(r"/coordination/review"))
    assert page.get_by_test_id("emergency-row").count() == 0
