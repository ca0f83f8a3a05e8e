"""Browser journeys at 360 px (Chromium, CSRF on), in Russian and Kazakh: the school's user opens
the notice and confirms it; the coordinator sees a notice not confirmed in time and reaches the
case from it. No page scrolls sideways."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from referral.access.scope import acting_as, system_actor
from referral.extensions import db
from referral.models_base import utcnow
from referral.schools.models import SchoolNotice
from tests.cases.test_cases_browser import log_in
from tests.schools.factories import incident_at, linked_case
from tests.schools.test_schools_notices import FRIDAY_EVENING, _notices

pytestmark = [pytest.mark.browser, pytest.mark.app_config(WTF_CSRF_ENABLED=True)]

WORDS = {"ru": {"received": "Получено", "late": "Не подтверждено вовремя"},
         "kk": {"received": "Алынды", "late": "Уақытында расталмады"}}


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_the_school_confirms_and_the_coordinator_sees_the_late_one(page, world, schools,
                                                                    language):
    case, _ = linked_case(world["officer"], schools["school"])
    incident_at(world["officer"], case, FRIDAY_EVENING)
    late_case, _ = linked_case(world["officer"], schools["school"])
    incident_at(world["officer"], late_case, FRIDAY_EVENING)
    first, late = _notices()
    with acting_as(system_actor("test")):
        db.session.execute(update(SchoolNotice).where(SchoolNotice.id == late.id)
                           .values(due_at=utcnow() - timedelta(hours=1)))
    for name in ("coordinator",):
        world[name].locale = language
    schools["teacher"].locale = language
    db.session.commit()
    words = WORDS[language]
    page.set_viewport_size({"width": 360, "height": 740})

    log_in(page, schools["teacher"])
    page.goto("/schools/notices")
    _fits(page)
    page.locator(f"a[href$='/schools/notices/{first.id}']").click()
    page.wait_for_url(re.compile(rf"/schools/notices/{first.id}$"))
    body = page.locator("main").inner_text()
    assert "Testova Dana" in body and "KUSP-123" in body and case.reference not in body
    _fits(page)
    page.locator(f"form[action$='/schools/notices/{first.id}/received'] button").click()
    page.wait_for_url(re.compile(rf"/schools/notices/{first.id}$"))
    assert words["received"] in page.locator("main").inner_text()
    page.locator("form[action$='/logout'] button").click()

    log_in(page, world["coordinator"])
    page.goto("/schools/notices")
    row = page.locator("tr", has=page.locator(f"a[href$='/schools/notices/{late.id}']"))
    assert words["late"] in row.inner_text()
    _fits(page)
    row.locator("a").click()
    page.wait_for_url(re.compile(rf"/schools/notices/{late.id}$"))
    _fits(page)
    page.locator(f"main a[href$='/cases/{late_case.id}']").click()
    page.wait_for_url(re.compile(rf"/cases/{late_case.id}$"))
