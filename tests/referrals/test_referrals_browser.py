"""Browser journeys (Chromium via Playwright) with CSRF on, as users would do them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from referral.extensions import db
from tests.fixtures import PASSWORD, make_agency, make_user
from tests.referrals.factories import make_case, send

pytestmark = [pytest.mark.browser, pytest.mark.app_config(WTF_CSRF_ENABLED=True)]


def log_in(page, user) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/$"))


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login"))


def act(page, name: str, button: str) -> None:
    page.locator(f"#action-{name} summary").click()
    page.locator(f"#action-{name}").get_by_role("button", name=button, exact=True).click()


def send_referral(page, case, agency, *, reason: str) -> str:
    page.goto(f"/referrals/new?case_id={case.id}")
    page.get_by_label("Service", exact=True).select_option("shelter")
    page.get_by_label("Agency", exact=True).select_option(str(agency.id))
    page.get_by_label("Reason for the referral").fill(reason)
    page.get_by_label("What the receiving agency needs to know").fill("Two children, 4 and 7.")
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("Identity and contact").check()
    page.get_by_label("Risk assessment").check()
    page.get_by_role("button", name="Send referral").click()
    page.wait_for_url(re.compile(r"/referrals/\d+$"))
    return page.locator("h1").inner_text().split()[-1]


def test_police_refer_high_risk_family_and_see_the_outcome(page, world):
    case = make_case(world["police"], world["officer"], risk="high")
    calm = make_case(world["police"], world["officer"], risk="standard")
    older = send(world["officer"], calm, world["crisis_agency"], service_code="shelter")
    db.session.commit()

    log_in(page, world["officer"])
    reference = send_referral(page, case, world["crisis_agency"],
                              reason="Strangulation last night; she fears for her life.")
    assert "Emergency" in page.locator(".referral-summary").inner_text()
    log_out(page)

    log_in(page, world["crisis"])
    page.goto("/referrals/inbox")
    rows = page.get_by_test_id("referral-row")
    assert reference in rows.nth(0).inner_text()  # the emergency comes before the older routine
    assert older.reference in rows.nth(1).inner_text()
    assert "left" in rows.nth(0).inner_text()
    rows.nth(0).get_by_role("link").click()
    expect(page.locator("body")).to_contain_text("once you accept")
    act(page, "accept", "Accept referral")
    expect(page.locator("body")).to_contain_text("Referral accepted.")
    act(page, "start", "Start work")
    page.locator("#action-complete summary").click()
    page.get_by_label("Outcome").select_option("service_provided")
    page.get_by_label("What was done").fill("Sheltered with the children; safety plan made.")
    page.locator("#action-complete").get_by_role("button", name="Record completion").click()
    assert page.get_by_test_id("status").inner_text() == "Completed"
    log_out(page)

    log_in(page, world["officer"])
    page.goto("/referrals/outbox")
    row = page.get_by_test_id("referral-row").filter(has_text=reference)
    assert "Completed" in row.inner_text() and "Service provided" in row.inner_text()
    row.get_by_role("link").click()
    assert "safety plan made" in page.get_by_test_id("outcome").inner_text()


def test_declined_for_capacity_and_referred_to_another_center(page, world):
    case = make_case(world["police"], world["officer"], risk="medium")
    other_center = make_agency("crisis_center", "KZ-75", name="Crisis B", services=("shelter",),
                               shelter_places=4)
    other_worker = make_user(other_center, email="crisis.b@test.example.org")
    db.session.commit()

    log_in(page, world["officer"])
    first = send_referral(page, case, world["crisis_agency"], reason="Needs a safe place.")
    log_out(page)

    log_in(page, world["crisis"])
    page.goto("/referrals/inbox")
    page.get_by_role("link", name=first).click()
    page.locator("#action-decline summary").click()
    page.locator("#action-decline").get_by_label("Reason", exact=True).select_option(
        "no_capacity")
    page.locator("#action-decline").get_by_role("button", name="Decline referral").click()
    assert page.get_by_test_id("status").inner_text() == "Declined"
    log_out(page)

    log_in(page, world["officer"])
    page.goto("/referrals/outbox")
    page.get_by_role("link", name=first).click()
    assert "No capacity" in page.get_by_test_id("outcome").inner_text()
    page.get_by_role("link", name="Refer elsewhere").click()
    assert page.get_by_label("Reason for the referral").input_value() == "Needs a safe place."
    page.get_by_label("Agency", exact=True).select_option(str(other_center.id))
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("Identity and contact").check()
    page.get_by_role("button", name="Send referral").click()
    page.wait_for_url(re.compile(r"/referrals/\d+$"))
    second = page.locator("h1").inner_text().split()[-1]
    assert second != first
    log_out(page)

    log_in(page, other_worker)
    page.goto("/referrals/inbox")
    page.get_by_role("link", name=second).click()
    expect(page.get_by_role("link", name="Earlier referral this one replaces")).to_be_visible()
