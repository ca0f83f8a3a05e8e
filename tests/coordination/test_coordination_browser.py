"""The coordinator's journey in a real browser (Chromium via Playwright), CSRF on."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from referral.access.permissions import Role
from referral.access.scope import acting_as, system_actor
from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals import service
from referral.referrals.models import Referral
from tests.coordination.factories import make_case, make_referral
from tests.fixtures import PASSWORD, fresh, make_agency, make_user

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


def test_coordinator_reassigns_schedules_and_assigns_an_action(page, world):
    crisis_b = make_agency("crisis_center", "KZ-75", name="Crisis B", services=("shelter",),
                           shelter_places=5)
    crisis_b_officer = make_user(crisis_b, Role.OFFICER, email="crisisb@test.example.org")
    case = make_case(world["police"], world["officer"], risk_level="high")
    now = utcnow()
    referral = make_referral(case, world["officer"], world["crisis_agency"], status="expired",
                             sent_at=now - timedelta(days=2), deadline=timedelta(hours=24))
    db.session.commit()

    # The coordinator's first page: the overdue review, with the expired referral at the top.
    log_in(page, world["coordinator"])
    assert page.get_by_test_id("count-overdue").inner_text() == "1"
    page.get_by_role("link", name="Open the overdue review").click()
    row = page.get_by_test_id(f"referral-{referral.id}")
    assert referral.reference in row.inner_text()
    row.get_by_role("link", name="Reassign").click()
    page.get_by_label("New receiving agency").select_option(str(crisis_b.id))
    page.get_by_label("Note (optional)").fill("Crisis A did not answer in time.")
    page.get_by_role("button", name="Reassign the referral").click()
    page.wait_for_url(re.compile(r"/coordination/(review)?$"))
    assert "Referral reassigned" in page.locator(".flashes").inner_text()
    assert page.get_by_test_id("count-overdue").inner_text() == "0"

    # Schedule a case conference: the high-risk case is proposed and put on the agenda.
    page.get_by_role("link", name="Case conferences").click()
    page.get_by_role("link", name="Schedule a conference").click()
    page.get_by_label("Region").select_option("KZ-75")
    when = (now + timedelta(days=3)).strftime("%Y-%m-%dT10:00")
    page.get_by_label("Date and time").fill(when)
    page.get_by_label("Place (optional)").fill("Akimat, room 4")
    page.get_by_role("button", name="Schedule").click()
    page.wait_for_url(re.compile(r"/coordination/conferences/\d+$"))
    page.get_by_label(re.compile(re.escape(case.reference))).check()
    page.get_by_role("button", name="Add to the agenda").click()
    item = page.get_by_test_id(f"agenda-{case.reference}")
    assert item.count() == 1

    # Assign an action to the police unit with a due date.
    item.get_by_role("link", name="Assign an action").click()
    page.get_by_label("Agency and owner").select_option(f"{world['police'].id}:")
    page.get_by_label("Action").fill("Check the protective order is served")
    due = (now + timedelta(days=7)).date().isoformat()
    page.get_by_label("Due date").fill(due)
    page.get_by_role("button", name="Assign").click()
    page.wait_for_url(re.compile(r"/coordination/conferences/\d+"))
    assert "Check the protective order is served" in page.get_by_test_id(
        f"agenda-{case.reference}").inner_text()
    log_out(page)

    # The new crisis center has a new referral, linked to the expired one, in its inbox; the
    # expired one stays expired (Crisis A's expiry stays counted).
    fresh()
    with acting_as(system_actor("test")):
        new = db.session.execute(select(Referral).where(
            Referral.previous_referral_id == referral.id)).scalar_one()
        assert (new.receiver_agency_id, new.status) == (crisis_b.id, "sent")
        assert service.load_referral(referral.id).status == "expired"
        new_reference = new.reference
    db.session.commit()
    log_in(page, crisis_b_officer)
    page.goto("/referrals/inbox")
    inbox = page.locator("main").inner_text()
    assert new_reference in inbox and referral.reference not in inbox
    log_out(page)

    # The police officer sees the action on their home page.
    log_in(page, world["officer"])
    panel = page.get_by_test_id("agency-actions")
    assert "Check the protective order is served" in panel.inner_text()
    assert case.reference in panel.inner_text()
