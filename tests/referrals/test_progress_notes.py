"""Notes on referrals: every lifecycle form's note reaches the history; progress notes on a live
referral are append-only, read by the receiver and (within consent) by the sender, audited and
announced in the app with ids only."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from referral.access.permissions import Role
from referral.access.scope import acting_as, system_actor
from referral.audit.models import AuditEvent
from referral.errors import DomainError, NotVisible
from referral.events.models import OutboxEvent
from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications.models import Delivery, Notification
from referral.referrals import progress, service
from referral.referrals.models import ReferralHistory, ReferralProgressNote
from tests.fixtures import PASSWORD, actor, fresh, login, make_agency, make_user
from tests.referrals.factories import make_case, no_consent, send

SECRET = "Survivor moved to the second shelter flat"


@pytest.fixture
def case(world):
    return make_case(world["police"], world["officer"], risk="high")


@pytest.fixture
def live(world, case):
    """A referral the crisis centre accepted, sent with consent to share everything."""
    referral = send(world["officer"], case, world["crisis_agency"])
    service.accept_referral(actor(world["crisis"]), referral_id=referral.id)
    return referral


def _as_system(query):
    with acting_as(system_actor("test")):
        return db.session.execute(query).scalars().all()


def _history_note(referral_id: int, action: str) -> str:
    fresh()
    rows = _as_system(select(ReferralHistory).where(ReferralHistory.referral_id == referral_id,
                                                    ReferralHistory.action == action))
    assert rows, f"no {action} in the history"
    return rows[-1].note


def _notes_for(user, referral) -> list[str]:
    who = actor(user)
    with acting_as(who):
        return [n.body for n in progress.list_progress_notes_for(who, referral)]


# --- every lifecycle form's note is kept --------------------------------------------------------


def _future_local(days: int = 1):
    return (utcnow() + timedelta(days=days)).astimezone(ZoneInfo("Asia/Almaty"))


def _programme_referral(world, case):
    provider = make_agency("correctional_provider", "KZ-75", name="Programme",
                           services=("correctional_programme",))
    staff = make_user(provider, email="programme@test.example.org")
    referral = send(world["officer"], case, provider, service_code="correctional_programme",
                    consent_input=no_consent("court_order"))
    service.accept_referral(actor(staff), referral_id=referral.id)
    return referral, staff


def _accepted(world, referral):
    service.accept_referral(actor(world["crisis"]), referral_id=referral.id)


def _started(world, referral):
    _accepted(world, referral)
    service.start_progress(actor(world["crisis"]), referral_id=referral.id)


# (who posts, state before, route, form fields, history action)
ACTIONS = [
    ("crisis", None, "accept", {"accept-assignee_user_id": "{crisis_id}"}, "accept", "accept"),
    ("crisis", _accepted, "start", {}, "start", "start"),
    ("crisis", _accepted, "hold", {"hold-reason_code": "client_request",
                                   "hold-review_at": "{tomorrow}"}, "hold", "hold"),
    ("crisis", None, "decline", {"decline-reason_code": "no_capacity"}, "decline", "decline"),
    ("crisis", _started, "complete", {"complete-outcome": "service_provided"}, "complete",
     "complete"),
    ("crisis", _accepted, "fail", {"fail-reason_code": "client_disengaged"}, "fail", "fail"),
    ("officer", None, "cancel", {"cancel-reason_code": "no_longer_needed"}, "cancel", "cancel"),
    ("officer", None, "entered-in-error", {}, "error", "enter_in_error"),
    ("officer", None, "consent/withdraw", {}, "consent", "withdraw_consent"),
    ("coordinator", None, "escalate", {}, "escalate", "escalate"),
    ("coordinator", None, "extend", {"extend-deadline_at": "{later}"}, "extend",
     "extend_deadline"),
    ("coordinator", None, "reassign", {"reassign-receiver_agency_id": "{other_shelter}"},
     "reassign", "reassign"),
]


@pytest.mark.parametrize(("who", "before", "route", "fields", "prefix", "action"), ACTIONS,
                         ids=[a[-1] for a in ACTIONS])
def test_every_action_keeps_its_note_in_the_history(client, world, case, who, before, route,
                                                    fields, prefix, action):
    referral = send(world["officer"], case, world["crisis_agency"])
    if before:
        before(world, referral)
    other_shelter = make_agency("crisis_center", "KZ-75", name="Shelter B", services=("shelter",))
    db.session.commit()
    values = {"crisis_id": world["crisis"].id, "other_shelter": other_shelter.id,
              "tomorrow": _future_local(2).strftime("%Y-%m-%d"),
              "later": _future_local(1).strftime("%Y-%m-%dT%H:%M")}
    data = {key: value.format(**values) for key, value in fields.items()}
    note = f"Why {action}: agreed by phone."
    data[f"{prefix}-text"] = note
    login(client, world[who])
    response = client.post(f"/referrals/{referral.id}/{route}", data=data)
    assert response.status_code == 302, response.data.decode()[:2000]
    assert _history_note(referral.id, action) == note
    page = client.get(f"/referrals/{referral.id}").data.decode()
    assert "Why " + action in page  # shown in the history's Note column


def test_programme_progress_keeps_its_note(client, world, case):
    referral, staff = _programme_referral(world, case)
    db.session.commit()
    login(client, staff)
    response = client.post(f"/referrals/{referral.id}/programme", data={
        "programme-kind": "enrolled", "programme-text": "First group on Monday."})
    assert response.status_code == 302
    assert _history_note(referral.id, "programme") == "First group on Monday."


def test_start_note_through_the_service(world, live):
    service.start_progress(actor(world["crisis"]), referral_id=live.id, text="  Met her.  ")
    db.session.commit()
    assert _history_note(live.id, "start") == "Met her."


# --- progress notes: the service ----------------------------------------------------------------


def test_receivers_note_is_stored_counts_as_progress_and_tells_the_sender(world, live):
    now = utcnow() + timedelta(hours=3)
    note = progress.add_progress_note(actor(world["crisis"]), referral_id=live.id,
                                      text=f"  {SECRET}  ", now=now)
    db.session.commit()
    assert (note.body, note.agency_id, note.author_user_id) == (
        SECRET, world["crisis_agency"].id, world["crisis"].id)
    assert note.created_at == now
    with acting_as(system_actor("test")):
        assert service.load_referral(live.id).last_progress_at == now
    audit = _as_system(select(AuditEvent).where(AuditEvent.action == "referral.progress_note"))
    assert len(audit) == 1 and audit[0].object_id == str(live.id)
    assert audit[0].details["note_id"] == note.id and SECRET not in str(audit[0].details)
    event = _as_system(select(OutboxEvent).where(OutboxEvent.kind == "referral.progress_note"))
    assert len(event) == 1 and SECRET not in str(event[0].data)
    assert event[0].data["note_id"] == note.id
    told = _as_system(select(Notification).where(Notification.event_id == event[0].id))
    assert {n.user_id for n in told} == {world["officer"].id, world["manager"].id}
    assert all(n.reference == live.reference for n in told)
    assert _as_system(select(Delivery).where(Delivery.event_id == event[0].id)) == []


def test_senders_note_reaches_the_receiver_but_is_no_progress(world, live):
    before = live.last_progress_at
    progress.add_progress_note(actor(world["officer"]), referral_id=live.id,
                               text="Her brother may call; do not confirm her place.")
    db.session.commit()
    assert _notes_for(world["crisis"], live) == ["Her brother may call; do not confirm her place."]
    with acting_as(system_actor("test")):
        assert service.load_referral(live.id).last_progress_at == before
    event = _as_system(select(OutboxEvent).where(OutboxEvent.kind == "referral.sender_note"))
    told = _as_system(select(Notification).where(Notification.event_id == event[0].id))
    assert {n.user_id for n in told} == {world["crisis"].id}  # the assignee


@pytest.mark.parametrize("close", ["complete", "decline", "cancel", "entered_in_error",
                                   "expire", "fail"])
def test_no_notes_once_the_referral_has_ended(world, case, close):
    referral = send(world["officer"], case, world["crisis_agency"])
    crisis, officer = actor(world["crisis"]), actor(world["officer"])
    if close == "decline":
        service.decline_referral(crisis, referral_id=referral.id, reason_code="no_capacity")
    elif close == "expire":
        service.expire_overdue_referrals(now=referral.deadline_at + timedelta(minutes=1))
    elif close == "cancel":
        service.cancel_referral(officer, referral_id=referral.id, reason_code="no_longer_needed")
    elif close == "entered_in_error":
        service.enter_in_error(officer, referral_id=referral.id, text="Wrong case.")
    else:
        service.accept_referral(crisis, referral_id=referral.id)
        service.start_progress(crisis, referral_id=referral.id)
        if close == "complete":
            service.complete_referral(crisis, referral_id=referral.id, outcome="goals_met")
        else:
            service.fail_referral(crisis, referral_id=referral.id, reason_code="moved_away")
    with pytest.raises(DomainError, match="closed"):
        progress.add_progress_note(crisis, referral_id=referral.id, text="Too late.")


def test_no_notes_before_acceptance_nor_without_text(world, case, live):
    waiting = send(world["officer"], make_case(world["police"], world["officer"]),
                   world["crisis_agency"])
    with pytest.raises(DomainError, match="once the referral is accepted"):
        progress.add_progress_note(actor(world["crisis"]), referral_id=waiting.id, text="Hi")
    with pytest.raises(DomainError) as err:
        progress.add_progress_note(actor(world["crisis"]), referral_id=live.id, text="   ")
    assert err.value.field == "text"
    with pytest.raises(DomainError):
        progress.add_progress_note(actor(world["crisis"]), referral_id=live.id, text="x" * 2001)


def test_notes_on_hold_and_in_progress(world, live):
    crisis = actor(world["crisis"])
    service.put_on_hold(crisis, referral_id=live.id, reason_code="hospitalised",
                        review_at=utcnow() + timedelta(days=3))
    progress.add_progress_note(crisis, referral_id=live.id, text="Visited in hospital.")
    service.start_progress(crisis, referral_id=live.id)
    progress.add_progress_note(crisis, referral_id=live.id, text="Back at the shelter.")
    assert _notes_for(world["crisis"], live) == ["Visited in hospital.", "Back at the shelter."]


def test_neither_side_cannot_write_or_read(world, live):
    progress.add_progress_note(actor(world["crisis"]), referral_id=live.id, text=SECRET)
    for name in ("other", "coordinator", "admin"):
        with pytest.raises(NotVisible):
            progress.add_progress_note(actor(world[name]), referral_id=live.id, text="Hello")
        with acting_as(actor(world[name])):
            assert db.session.execute(select(ReferralProgressNote)).scalars().all() == []


def test_notes_are_append_only_and_corrected_by_a_new_note(world, live):
    crisis = actor(world["crisis"])
    first = progress.add_progress_note(crisis, referral_id=live.id, text="Session on Monday.")
    fix = progress.add_progress_note(crisis, referral_id=live.id, text="Session on Tuesday.",
                                     corrects_id=first.id)
    assert fix.corrects_id == first.id
    db.session.commit()
    assert _notes_for(world["crisis"], live) == ["Session on Monday.", "Session on Tuesday."]
    first.body = "Rewritten"
    with pytest.raises(ValueError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    with acting_as(crisis):
        db.session.delete(db.session.get(ReferralProgressNote, first.id))
        with pytest.raises(ValueError, match="append-only"):
            db.session.flush()
    db.session.rollback()
    # Only one's own agency's note on this referral can be corrected.
    with pytest.raises(DomainError) as err:
        progress.add_progress_note(actor(world["officer"]), referral_id=live.id,
                                   text="No, Wednesday.", corrects_id=first.id)
    assert err.value.field == "corrects_id"


def test_sender_reads_the_receivers_notes_only_within_consent(world, case, live):
    crisis, officer = actor(world["crisis"]), actor(world["officer"])
    progress.add_progress_note(crisis, referral_id=live.id, text=SECRET)
    progress.add_progress_note(officer, referral_id=live.id, text="Police patrol arranged.")
    db.session.commit()
    both = [SECRET, "Police patrol arranged."]
    assert _notes_for(world["officer"], live) == both
    assert _notes_for(world["manager"], live) == both
    service.withdraw_consent(officer, referral_id=live.id)
    db.session.commit()
    assert _notes_for(world["officer"], live) == ["Police patrol arranged."]
    assert _notes_for(world["crisis"], live) == both  # the receiver reads every note


def test_without_consent_the_sender_neither_reads_nor_hears_of_notes(world):
    case = make_case(world["police"], world["officer"])
    referral = send(world["officer"], case, world["crisis_agency"], consent_input=no_consent())
    service.accept_referral(actor(world["crisis"]), referral_id=referral.id)
    progress.add_progress_note(actor(world["crisis"]), referral_id=referral.id, text=SECRET)
    db.session.commit()
    assert _notes_for(world["officer"], referral) == []
    assert _as_system(select(OutboxEvent).where(OutboxEvent.kind == "referral.progress_note")
                      ) == []


def test_a_partial_reader_sender_reads_receiver_notes_only_of_categories_it_reads(world, live):
    """The crisis centre reads the case within consent; what it refers on to a health agency
    comes back to it only if it reads every category it passed on."""
    health = make_agency("health", "KZ-75", name="Clinic", services=("medical",))
    nurse = make_user(health, email="nurse@test.example.org")
    crisis = actor(world["crisis"])
    service.withdraw_consent(actor(world["officer"]), referral_id=live.id)
    service.record_consent(actor(world["officer"]), referral_id=live.id,
                           consent=service.ConsentInput(consented=True,
                                                        categories=("identity_contact",)))
    onward = service.send_referral(crisis, data=service.ReferralInput(
        case_id=live.case_id, receiver_agency_id=health.id, service_code="medical",
        consent=service.ConsentInput(consented=True,
                                     categories=("identity_contact", "risk_assessment")),
        idempotency_key="onward", reason="Injuries to be seen."))
    service.accept_referral(actor(nurse), referral_id=onward.id)
    progress.add_progress_note(actor(nurse), referral_id=onward.id, text="Fracture treated.")
    progress.add_progress_note(crisis, referral_id=onward.id, text="She needs an interpreter.")
    db.session.commit()
    assert _notes_for(world["crisis"], onward) == ["She needs an interpreter."]
    assert _notes_for(nurse, onward) == ["Fracture treated.", "She needs an interpreter."]


# --- progress notes: the page -------------------------------------------------------------------


def test_page_adds_a_note_and_both_sides_see_it(client, world, live):
    db.session.commit()
    login(client, world["crisis"])
    url = f"/referrals/{live.id}"
    assert "Progress notes" in client.get(url).data.decode()
    response = client.post(f"{url}/progress-notes", data={"progress-text": SECRET})
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    page = client.get(url).data.decode()
    assert SECRET in page and world["crisis"].full_name in page
    client.post("/logout")
    login(client, world["officer"])
    assert SECRET in client.get(url).data.decode()
    client.post("/logout")
    login(client, world["other"])
    assert client.get(url).status_code == 404
    assert client.post(f"{url}/progress-notes", data={"progress-text": "x"}).status_code == 404
    client.post("/logout")
    login(client, world["coordinator"])
    assert SECRET not in client.get(url).data.decode()
    assert client.post(f"{url}/progress-notes", data={"progress-text": "x"}).status_code == 404
    fresh()
    assert len(_as_system(select(ReferralProgressNote))) == 1


def test_page_keeps_the_typed_note_on_a_refusal(client, world, case, live):
    crisis = actor(world["crisis"])
    service.start_progress(crisis, referral_id=live.id)
    service.complete_referral(crisis, referral_id=live.id, outcome="goals_met")
    db.session.commit()
    login(client, world["crisis"])
    response = client.post(f"/referrals/{live.id}/progress-notes",
                           data={"progress-text": "Typed and kept."})
    assert response.status_code == 200
    html = response.data.decode()
    assert "no more progress notes" in html
    too_long = client.post(f"/referrals/{live.id}/progress-notes",
                           data={"progress-text": "y" * 2001})
    assert too_long.status_code == 200
    fresh()
    assert _as_system(select(ReferralProgressNote)) == []


def test_page_offers_corrections_of_ones_own_notes(client, world, live):
    first = progress.add_progress_note(actor(world["crisis"]), referral_id=live.id,
                                       text="Session on Monday.")
    db.session.commit()
    login(client, world["crisis"])
    url = f"/referrals/{live.id}"
    page = client.get(url).data.decode()
    assert 'name="progress-corrects_id"' in page
    response = client.post(f"{url}/progress-notes", data={
        "progress-text": "Tuesday, not Monday.", "progress-corrects_id": str(first.id)})
    assert response.status_code == 302
    page = client.get(url).data.decode()
    assert "Corrected by a later note." in page and f'href="#note-{first.id}"' in page
    wrong = client.post(f"{url}/progress-notes", data={
        "progress-text": "Kept text.", "progress-corrects_id": "999999"})
    assert wrong.status_code == 200 and "Kept text." in wrong.data.decode()


def test_note_form_only_on_a_live_referral_for_either_side(client, world, case, live):
    waiting = send(world["officer"], make_case(world["police"], world["officer"]),
                   world["crisis_agency"])
    db.session.commit()
    login(client, world["crisis"])
    assert "progress-text" not in client.get(f"/referrals/{waiting.id}").data.decode()
    assert "progress-text" in client.get(f"/referrals/{live.id}").data.decode()
    client.post("/logout")
    assert world["manager"].role == Role.AGENCY_MANAGER
    login(client, world["manager"])  # the sending agency's manager
    assert "progress-text" in client.get(f"/referrals/{live.id}").data.decode()


@pytest.mark.browser
@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_a_note_typed_on_a_phone_with_csrf_fits_360_px(browser, live_server, world, live):
    db.session.commit()
    context = browser.new_context(base_url=live_server, locale="en-US",
                                  viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto("/login")
        page.get_by_label("E-mail").fill(world["crisis"].email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r"/$"))
        page.goto(f"/referrals/{live.id}")
        long_word = "Appointment" * 30
        page.get_by_role("textbox", name="Progress note").fill(f"{SECRET}\n{long_word}")
        page.get_by_role("button", name="Add note").click()
        page.wait_for_url(re.compile(rf"/referrals/{live.id}$"))
        assert SECRET in page.locator("#progress-notes").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        box = page.get_by_role("button", name="Add note").bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24
    finally:
        context.close()
