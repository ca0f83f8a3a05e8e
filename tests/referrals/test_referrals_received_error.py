"""Issue 19 §4 for referrals (FHIR Task): the receiving agency's first opening ("received"),
"entered in error" (sent by mistake) apart from "cancelled", and a coordinator's reassignment of
a declined or expired referral as a new referral linked to the old one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from referral.access.scope import acting_as, system_actor
from referral.cases.models import TimelineEntry
from referral.errors import DomainError, IllegalTransition
from referral.events.models import OutboxEvent
from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications.models import Notification
from referral.notifications.publishing import publish_events
from referral.referrals import capacity, service
from referral.referrals.lifecycle import (
    CLOSED_STATES,
    TRANSITIONS,
    UNCOUNTED_STATES,
    Action,
    Side,
    Status,
    allowed_actions,
)
from referral.referrals.models import Referral, ReferralConsent, ReferralHistory
from tests.fixtures import actor, fresh, login, make_agency, make_user, recorded_statements
from tests.referrals.factories import consent, make_case, send


@pytest.fixture
def case(world):
    return make_case(world["police"], world["officer"], risk="high")


@pytest.fixture
def crisis_b(world):
    return make_agency("crisis_center", "KZ-75", name="Crisis B", services=("shelter",),
                       shelter_places=5)


def _switch(client, user) -> None:
    """Log out whoever is logged in, then log ``user`` in."""
    client.post("/logout")
    login(client, user)


def _as_system(fn):
    with acting_as(system_actor("test")):
        return fn()


def _load(referral_id: int) -> Referral:
    return _as_system(lambda: service.load_referral(referral_id))


def _history(referral_id: int) -> list[tuple]:
    return _as_system(lambda: [(h.action, h.from_status, h.to_status) for h in db.session.execute(
        select(ReferralHistory).where(ReferralHistory.referral_id == referral_id)
        .order_by(ReferralHistory.id)).scalars()])


def _events(referral_id: int) -> list[str]:
    return _as_system(lambda: [e.kind for e in db.session.execute(
        select(OutboxEvent).where(OutboxEvent.subject_type == "referral",
                                  OutboxEvent.subject_id == referral_id)
        .order_by(OutboxEvent.id)).scalars()])


# --- the lifecycle table -------------------------------------------------------------------------


def test_entered_in_error_in_the_table_the_sender_from_open_states_terminal():
    move = TRANSITIONS[Action.ENTER_IN_ERROR]
    assert move.sides == {Side.SENDER} and move.target == Status.ENTERED_IN_ERROR
    assert move.sources == {Status.SENT, Status.ACCEPTED, Status.IN_PROGRESS, Status.ON_HOLD}
    assert Status.ENTERED_IN_ERROR in CLOSED_STATES and Status.ENTERED_IN_ERROR in UNCOUNTED_STATES
    # Terminal: nothing moves it on (withdrawing consent changes no status, and stays allowed).
    every_side = set(Side)
    assert allowed_actions(Status.ENTERED_IN_ERROR, every_side) == {Action.WITHDRAW_CONSENT}
    for ended in (Status.DECLINED, Status.COMPLETED, Status.CANCELLED, Status.EXPIRED):
        assert Action.ENTER_IN_ERROR not in allowed_actions(ended, every_side)
    assert len(Status.ENTERED_IN_ERROR.value) <= 16  # the status columns' width


def test_the_sender_marks_it_entered_in_error_with_a_reason_and_the_place_comes_back(
        world, case):
    referral = send(world["officer"], case, world["crisis_agency"])
    service.accept_referral(actor(world["crisis"]), referral_id=referral.id)
    agency = world["crisis_agency"].id
    assert capacity.places_in_use(agency) == 1
    with pytest.raises(IllegalTransition, match="sending agency"):
        service.enter_in_error(actor(world["crisis"]), referral_id=referral.id, text="No.")
    with pytest.raises(IllegalTransition, match="sending agency"):
        service.enter_in_error(actor(world["coordinator"]), referral_id=referral.id, text="No.")
    with pytest.raises(DomainError, match="mistake"):
        service.enter_in_error(actor(world["officer"]), referral_id=referral.id, text=" ")
    done = service.enter_in_error(actor(world["officer"]), referral_id=referral.id,
                                  text="Wrong family.")
    assert (done.status, done.status_text, done.holds_place) == (
        "entered_in_error", "Wrong family.", False)
    assert done.closed_at is not None and capacity.places_in_use(agency) == 0
    assert _history(referral.id)[-1] == ("enter_in_error", "accepted", "entered_in_error")
    assert _events(referral.id)[-1] == "referral.entered_in_error"
    with pytest.raises(IllegalTransition):
        service.cancel_referral(actor(world["officer"]), referral_id=referral.id,
                                reason_code="no_longer_needed")


def test_the_receiving_agency_is_told_and_the_page_offers_it_to_the_sender_only(
        client, world, case):
    referral = send(world["officer"], case, world["crisis_agency"])
    db.session.commit()
    login(client, world["crisis"])
    assert "Mark as sent by mistake" not in client.get(f"/referrals/{referral.id}").data.decode()
    _switch(client, world["officer"])
    assert "Mark as sent by mistake" in client.get(f"/referrals/{referral.id}").data.decode()
    url = f"/referrals/{referral.id}/entered-in-error"
    refused = client.post(url, data={"error-text": ""})
    assert refused.status_code == 200
    assert client.post(url, data={"error-text": "Sent for the wrong case."}).status_code == 302
    page = client.get(f"/referrals/{referral.id}").data.decode()
    assert "Entered in error" in page and "Sent for the wrong case." in page
    fresh()
    _as_system(lambda: publish_events(now=utcnow()))
    db.session.commit()
    told = _as_system(lambda: db.session.execute(
        select(Notification.user_id).where(Notification.kind == "referral.entered_in_error")
    ).scalars().all())
    assert world["crisis"].id in told and world["officer"].id not in told


# --- the first opening ---------------------------------------------------------------------------


def test_opened_once_by_the_receiving_agency_only(world, case):
    referral = send(world["officer"], case, world["crisis_agency"])
    for outsider in ("officer", "coordinator"):  # the sender, a coordinator: not an opening
        service.get_referral_for(actor(world[outsider]), referral.id)
        assert _load(referral.id).received_at is None
    colleague = make_user(world["crisis_agency"])
    first = service.get_referral_for(actor(world["crisis"]), referral.id)
    assert first.received_at is not None and first.received_by_id == world["crisis"].id
    again = service.get_referral_for(actor(colleague), referral.id)
    assert (again.received_at, again.received_by_id) == (first.received_at, world["crisis"].id)
    assert [h[0] for h in _history(referral.id)] == ["send", "open"]
    timeline = _as_system(lambda: db.session.execute(
        select(TimelineEntry.kind).where(TimelineEntry.object_id == referral.id)
        .order_by(TimelineEntry.id)).scalars().all())
    assert timeline == ["referral.send", "referral.open"]


def test_the_referral_page_records_the_opening_and_shows_it(client, world, case):
    referral = send(world["officer"], case, world["crisis_agency"])
    db.session.commit()
    login(client, world["officer"])
    assert "Not opened yet" in client.get(f"/referrals/{referral.id}").data.decode()
    _switch(client, world["crisis"])
    client.get(f"/referrals/{referral.id}")
    fresh()
    opened = _as_system(lambda: service.load_referral(referral.id))
    assert opened.received_by_id == world["crisis"].id
    _switch(client, world["officer"])
    page = client.get(f"/referrals/{referral.id}").data.decode()
    assert "Not opened yet" not in page and world["crisis"].full_name in page


def test_the_detail_page_costs_the_same_however_long_its_history(client, world, case):
    """No statement per history row: a referral opened, put on hold and restarted many times
    costs what a fresh one costs, plus the successor look-up and who opened it."""
    fresh_one = send(world["officer"], case, world["crisis_agency"])
    busy_one = send(world["officer"], case, world["crisis_agency"])
    receiver = actor(world["crisis"])
    service.get_referral_for(receiver, busy_one.id)
    service.accept_referral(receiver, referral_id=busy_one.id)
    later = busy_one.sent_at + timedelta(days=3)
    for _ in range(4):
        service.put_on_hold(receiver, referral_id=busy_one.id, reason_code="client_request",
                            review_at=later)
        service.start_progress(receiver, referral_id=busy_one.id)
    db.session.commit()
    login(client, world["officer"])
    client.get(f"/referrals/{fresh_one.id}")
    with recorded_statements() as few:
        client.get(f"/referrals/{fresh_one.id}")
    with recorded_statements() as more:
        client.get(f"/referrals/{busy_one.id}")
    assert len(_history(busy_one.id)) == 11
    assert len(more) <= len(few) + 3  # who opened it, who accepted it, who is responsible


# --- reassignment --------------------------------------------------------------------------------


def test_reassigning_a_declined_referral_sends_a_new_linked_one(world, case, crisis_b):
    referral = send(world["officer"], case, world["crisis_agency"],
                    consent_input=consent("identity_contact", "risk_assessment"))
    service.get_referral_for(actor(world["crisis"]), referral.id)
    service.decline_referral(actor(world["crisis"]), referral_id=referral.id,
                             reason_code="no_capacity")
    coordinator = actor(world["coordinator"])
    new = service.reassign_referral(coordinator, referral_id=referral.id,
                                    receiver_agency_id=crisis_b.id, text="Closer.")
    old = _load(referral.id)
    assert new.id != old.id and new.previous_referral_id == old.id
    assert (old.status, old.receiver_agency_id, old.decline_reason) == (
        "declined", world["crisis_agency"].id, "no_capacity")
    assert (new.status, new.receiver_agency_id, new.sender_agency_id, new.service_code) == (
        "sent", crisis_b.id, old.sender_agency_id, old.service_code)
    assert new.received_at is None and new.reason == old.reason
    assert new.reference == f"R-{new.sent_at.year}-{new.id:06d}"
    # The consent record travels (what the survivor agreed to, for the agency it named): not in
    # force for the new agency until the sender records it.
    carried = _as_system(lambda: db.session.execute(
        select(ReferralConsent).where(ReferralConsent.referral_id == new.id)).scalar_one())
    assert (carried.categories, carried.shared_with_agency_id) == (
        ["identity_contact", "risk_assessment"], world["crisis_agency"].id)
    assert not service.consent_in_force(carried, new, new.sent_at + timedelta(seconds=1))
    # Both in the history and the case timeline; the event goes to the new referral's agency.
    assert _history(old.id)[-1] == ("reassign", "declined", "declined")
    assert _history(new.id) == [("reassigned_in", None, "sent")]
    assert _events(new.id) == ["referral.reassigned"] and "referral.reassigned" not in \
        _events(old.id)
    timeline = _as_system(lambda: db.session.execute(
        select(TimelineEntry.kind, TimelineEntry.object_id)
        .where(TimelineEntry.case_id == case.id).order_by(TimelineEntry.id)).all())
    assert timeline[-2:] == [("referral.reassign", old.id), ("referral.reassigned_in", new.id)]
    # Replaced once only, by a coordinator or by the sender's referral elsewhere.
    with pytest.raises(IllegalTransition, match="already replaced"):
        service.reassign_referral(coordinator, referral_id=old.id,
                                  receiver_agency_id=crisis_b.id)
    with pytest.raises(IllegalTransition, match="already replaced"):
        send(world["officer"], case, crisis_b, previous_referral_id=old.id)


def test_reassigning_an_expired_referral_keeps_the_expiry(world, case, crisis_b):
    referral = send(world["officer"], case, world["crisis_agency"])
    service.expire_overdue_referrals(now=referral.deadline_at + timedelta(minutes=1))
    new = service.reassign_referral(actor(world["coordinator"]), referral_id=referral.id,
                                    receiver_agency_id=crisis_b.id)
    assert _load(referral.id).status == "expired"
    assert (new.status, new.previous_referral_id) == ("sent", referral.id)
    assert new.deadline_at > new.sent_at
    # The coordinator's list of referrals needing attention: the new one, not the replaced one.
    listed = {r.id for r in service.list_region_referrals_for(actor(world["coordinator"]))}
    assert new.id in listed and referral.id not in listed


def test_an_unanswered_referral_is_redirected_in_place_and_unopened(world, case, crisis_b):
    referral = send(world["officer"], case, world["crisis_agency"])
    service.get_referral_for(actor(world["crisis"]), referral.id)
    moved = service.reassign_referral(actor(world["coordinator"]), referral_id=referral.id,
                                      receiver_agency_id=crisis_b.id)
    assert (moved.id, moved.status, moved.receiver_agency_id) == (
        referral.id, "sent", crisis_b.id)
    assert (moved.received_at, moved.received_by_id) == (None, None)  # not by Crisis B yet


def test_the_new_agency_is_told_and_the_pages_link_both(client, world, case, crisis_b):
    staff = make_user(crisis_b)
    referral = send(world["officer"], case, world["crisis_agency"])
    service.decline_referral(actor(world["crisis"]), referral_id=referral.id,
                             reason_code="no_capacity")
    db.session.commit()
    login(client, world["coordinator"])
    done = client.post(f"/referrals/{referral.id}/reassign",
                       data={"reassign-receiver_agency_id": crisis_b.id,
                             "reassign-text": "Closer."})
    assert done.status_code == 302
    fresh()
    new = _as_system(lambda: db.session.execute(select(Referral).where(
        Referral.previous_referral_id == referral.id)).scalar_one())
    assert done.headers["Location"].endswith(f"/referrals/{new.id}")
    old_page = client.get(f"/referrals/{referral.id}").data.decode()
    assert "Replaced by referral" in old_page and new.reference in old_page
    assert f'action="/referrals/{referral.id}/reassign"' not in old_page
    fresh()
    _as_system(lambda: publish_events(now=utcnow()))
    db.session.commit()
    told = _as_system(lambda: db.session.execute(
        select(Notification.user_id).where(Notification.kind == "referral.reassigned")
    ).scalars().all())
    assert staff.id in told and world["crisis"].id not in told
    _switch(client, staff)
    inbox = client.get("/referrals/inbox").data.decode()
    assert new.reference in inbox and referral.reference not in inbox


# --- 360 px, in Kazakh ---------------------------------------------------------------------------


@pytest.mark.browser
def test_the_new_parts_fit_a_360_px_phone_in_kazakh(world, case, crisis_b, browser,
                                                    live_server):
    """The sender's page of a referral opened, declined and replaced (the opening, the link
    to its successor), an open one with "sent by mistake", and the coordinator's review."""
    from tests.fixtures import PASSWORD

    replaced = send(world["officer"], case, world["crisis_agency"])
    service.get_referral_for(actor(world["crisis"]), replaced.id)
    service.decline_referral(actor(world["crisis"]), referral_id=replaced.id,
                             reason_code="no_capacity")
    service.reassign_referral(actor(world["coordinator"]), referral_id=replaced.id,
                              receiver_agency_id=crisis_b.id)
    unopened = send(world["officer"], case, world["crisis_agency"])
    for who in ("officer", "coordinator"):
        world[who].locale = "kk"
    db.session.commit()
    context = browser.new_context(base_url=live_server, viewport={"width": 360, "height": 740})
    page = context.new_page()

    def log_in(user) -> None:
        page.goto("/login")
        page.get_by_label("E-mail").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()

    def fits(path: str) -> str:
        page.goto(path)
        for summary in page.locator("details.action summary").all():
            summary.click()  # the action forms open, as when used
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')].filter(
            e => e.getBoundingClientRect().right > 361).slice(0, 8).map(
            e => e.tagName + '.' + e.className + ' ' + (e.innerText || '').slice(0, 40))""")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, (path, wide)
        return page.locator("main").inner_text()

    try:
        log_in(world["officer"])
        text = fits(f"/referrals/{replaced.id}")
        assert "Мына жолдамамен ауыстырылды" in text and "Қабылдаушы ұйым ашты" in text
        assert "Қателікпен жіберілген деп белгілеу" in fits(f"/referrals/{unopened.id}")
        page.context.clear_cookies()
        log_in(world["coordinator"])
        assert "Әлі ашылмаған" in fits("/coordination/review")
    finally:
        context.close()
