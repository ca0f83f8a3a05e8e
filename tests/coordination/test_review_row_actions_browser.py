"""The review's row actions and the agency pickers in a real browser at 360 px, CSRF on:
a disclosure opens the confirm button (no script), the result is shown after the redirect,
and nothing sticks out of a phone's width."""

from __future__ import annotations

from datetime import timedelta

import pytest

from referral.extensions import db
from referral.models_base import utcnow
from tests.coordination.factories import make_case, make_referral
from tests.coordination.test_coordination_browser import log_in
from tests.fixtures import make_agency

pytestmark = [pytest.mark.browser, pytest.mark.app_config(WTF_CSRF_ENABLED=True)]

WIDTH = 360


def _fits(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth") <= WIDTH


def test_extend_and_escalate_from_the_row_on_a_phone(page, world):
    case = make_case(world["police"], world["officer"], risk_level="high")
    referral = make_referral(case, world["officer"], world["crisis_agency"], status="sent",
                             urgency="routine", sent_at=utcnow() - timedelta(days=4),
                             deadline=timedelta(hours=72))
    db.session.commit()
    page.set_viewport_size({"width": WIDTH, "height": 740})
    log_in(page, world["coordinator"])
    page.goto("/coordination/")
    row = page.get_by_test_id(f"referral-{referral.id}")
    escalate = row.get_by_test_id(f"escalate-{referral.id}")
    confirm = escalate.get_by_role("button", name="Confirm: escalate to the agency's manager")
    assert not confirm.is_visible()  # closed until asked for
    escalate.locator("summary").click()
    assert confirm.is_visible() and _fits(page)
    box = confirm.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24
    confirm.click()
    page.wait_for_load_state()
    assert "escalated to the agency's manager" in page.locator(".flashes").inner_text()
    assert page.get_by_test_id(f"referral-{referral.id}").get_by_test_id("escalated").count() == 1

    extend = page.get_by_test_id(f"referral-{referral.id}").get_by_test_id(
        f"extend-{referral.id}")
    extend.locator("summary").click()
    extend.get_by_role("button", name="Confirm: extend by 72 h").click()
    page.wait_for_load_state()
    assert f"Referral {referral.reference}: new deadline" in page.locator(".flashes").inner_text()
    assert page.get_by_test_id("count-overdue").inner_text() == "0"
    assert _fits(page)


def test_send_form_agency_picker_fits_a_phone_with_every_region(page, world):
    from tests.referrals.factories import make_case as make_send_case

    for region in ("KZ-43", "KZ-62", "KZ-10"):
        make_agency("crisis_center", region, services=("shelter",),
                    name="A very long crisis centre name for women and children in difficult "
                         f"life situations of region {region}")
    case = make_send_case(world["police"], world["officer"], risk="high")
    db.session.commit()
    page.set_viewport_size({"width": WIDTH, "height": 740})
    log_in(page, world["officer"])
    page.goto(f"/referrals/new?case_id={case.id}&service=shelter")
    page.get_by_label("Agencies from").select_option("all")
    page.get_by_role("button", name="Show agencies").click()
    page.wait_for_load_state()
    groups = page.locator("#receiver_agency_id optgroup").evaluate_all(
        "els => els.map(e => e.label)")
    assert groups[0] == "Almaty (city)" and len(groups) == 4
    assert _fits(page)
    for selector in ("#receiver_agency_id", "#agency-region"):
        assert page.locator(selector).bounding_box()["width"] <= WIDTH
