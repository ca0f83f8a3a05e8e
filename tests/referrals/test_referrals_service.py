"""Service rules of the referral lifecycle: sending, answering, closing, capacity, expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from referral.access.scope import acting_as, system_actor
from referral.audit.models import AuditEvent
from referral.errors import DomainError, IllegalTransition, NotVisible
from referral.events.models import OutboxEvent
from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals import capacity, service
from referral.referrals.models import ReferralHistory
from tests.fixtures import actor, make_agency, make_user
from tests.referrals.factories import make_case, no_consent, send


@pytest.fixture
def case(world):
    return make_case(world["police"], world["officer"], risk="high")


def _events(referral_id):
    with acting_as(system_actor("test")):
        return [e.kind for e in db.session.execute(
            select(OutboxEvent).where(OutboxEvent.subject_type == "referral",
                                      OutboxEvent.subject_id == referral_id)
            .order_by(OutboxEvent.id)).scalars()]


def test_high_risk_case_defaults_to_emergency_with_two_hour_deadline(world, case):
    referral = send(world["officer"], case, world["crisis_agency"])
    assert referral.urgency == "emergency"
    assert referral.deadline_at - referral.sent_at == timedelta(hours=2)
    assert referral.reference == f"R-{referral.sent_at.year}-{referral.id:06d}"
    assert referral.risk_level == "high"
    assert _events(referral.id) == ["referral.sent"]


@pytest.mark.app_config(REFERRAL_DEADLINES={"emergency": 1, "urgent": 5, "routine": 10})
def test_deadlines_come_from_configuration(world):
    case = make_case(world["police"], world["officer"], risk="standard")
    referral = send(world["officer"], case, world["crisis_agency"])
    assert referral.urgency == "routine"
    assert referral.deadline_at - referral.sent_at == timedelta(hours=10)


def test_same_form_twice_gives_one_referral(world, case):
    first = send(world["officer"], case, world["crisis_agency"], key="same")
    second = send(world["officer"], case, world["crisis_agency"], key="same")
    assert first.id == second.id


def test_sending_without_consent_needs_a_legal_ground(world, case):
    bare = service.ConsentInput(consented=False)
    with pytest.raises(DomainError) as err:
        send(world["officer"], case, world["crisis_agency"], consent_input=bare)
    assert err.value.field == "legal_ground"
    referral = send(world["officer"], case, world["crisis_agency"], consent_input=no_consent())
    with acting_as(system_actor("test")):
        audited = db.session.execute(select(AuditEvent).where(
            AuditEvent.action == "referral.sent_without_consent",
            AuditEvent.object_id == str(referral.id))).scalar_one()
    assert audited.details["legal_ground"] == "child_at_risk"


def test_agency_must_offer_the_service(world, case):
    with pytest.raises(DomainError) as err:
        send(world["officer"], case, world["crisis_agency"], service_code="legal_aid")
    assert err.value.field == "receiver_agency_id"


def test_only_visible_cases_can_be_referred(world):
    foreign = make_case(world["other_agency"], world["other"])
    with pytest.raises(NotVisible):
        send(world["officer"], foreign, world["crisis_agency"])


def test_full_loop_accept_start_complete_releases_the_place(world, case):
    referral = send(world["officer"], case, world["crisis_agency"])
    crisis = actor(world["crisis"])
    service.accept_referral(crisis, referral_id=referral.id)
    assert capacity.places_in_use(world["crisis_agency"].id) == 1
    service.start_progress(crisis, referral_id=referral.id)
    done = service.complete_referral(crisis, referral_id=referral.id, outcome="service_provided")
    assert done.status == "completed" and done.closed_at is not None
    assert capacity.places_in_use(world["crisis_agency"].id) == 0
    assert _events(referral.id) == ["referral.sent", "referral.accepted",
                                    "referral.in_progress", "referral.completed"]
    with acting_as(actor(world["officer"])):
        history = db.session.execute(select(ReferralHistory.action).where(
            ReferralHistory.referral_id == referral.id)).scalars().all()
    assert history == ["send", "accept", "start", "complete"]


def test_sender_cannot_accept_and_receiver_cannot_cancel(world, case):
    referral = send(world["officer"], case, world["crisis_agency"])
    with pytest.raises(IllegalTransition, match="receiving agency"):
        service.accept_referral(actor(world["officer"]), referral_id=referral.id)
    with pytest.raises(IllegalTransition, match="sending agency"):
        service.cancel_referral(actor(world["crisis"]), referral_id=referral.id,
                                reason_code="no_longer_needed")


def test_illegal_move_is_refused_with_a_clear_message(world, case):
    referral = send(world["officer"], case, world["crisis_agency"])
    with pytest.raises(IllegalTransition, match="cannot be completed"):
        service.complete_referral(actor(world["crisis"]), referral_id=referral.id,
                                  outcome="service_provided")


def test_decline_needs_a_code_and_other_needs_text(world, case):
    referral = send(world["officer"], case, world["crisis_agency"])
    crisis = actor(world["crisis"])
    with pytest.raises(DomainError):
        service.decline_referral(crisis, referral_id=referral.id, reason_code="nonsense")
    with pytest.raises(DomainError):
        service.decline_referral(crisis, referral_id=referral.id, reason_code="other")
    declined = service.decline_referral(crisis, referral_id=referral.id,
                                        reason_code="no_capacity")
    assert declined.status == "declined" and declined.decline_reason == "no_capacity"


def test_full_shelter_needs_an_overflow_reason(world, case):
    crisis_agency = world["crisis_agency"]
    crisis = actor(world["crisis"])
    ids = [send(world["officer"], case, crisis_agency).id for _ in range(3)]
    service.accept_referral(crisis, referral_id=ids[0])
    service.accept_referral(crisis, referral_id=ids[1])
    with pytest.raises(DomainError) as err:
        service.accept_referral(crisis, referral_id=ids[2])
    assert err.value.field == "overflow_reason"
    with acting_as(crisis):
        assert service.load_referral(ids[2]).status == "sent"  # nothing of the refusal kept
    accepted = service.accept_referral(crisis, referral_id=ids[2],
                                       overflow_reason="Mother with a baby; no other option.")
    assert accepted.overflow_reason
    assert capacity.places_in_use(crisis_agency.id) == 3


def test_refer_elsewhere_links_the_new_referral(world, case):
    second = make_agency("crisis_center", "KZ-75", name="Crisis B", services=("shelter",),
                         shelter_places=5)
    referral = send(world["officer"], case, world["crisis_agency"])
    service.decline_referral(actor(world["crisis"]), referral_id=referral.id,
                             reason_code="no_capacity")
    again = service.refer_elsewhere(actor(world["officer"]), referral_id=referral.id,
                                    data=service.ReferralInput(
                                        case_id=case.id, receiver_agency_id=second.id,
                                        service_code="shelter", idempotency_key="again",
                                        reason="Declined for capacity.",
                                        consent=service.ConsentInput(
                                            consented=True, categories=("identity_contact",))))
    assert again.previous_referral_id == referral.id and again.status == "sent"


def test_refer_elsewhere_only_from_a_dead_end(world, case):
    referral = send(world["officer"], case, world["crisis_agency"])
    with pytest.raises(IllegalTransition):
        service.refer_elsewhere(actor(world["officer"]), referral_id=referral.id,
                                data=service.ReferralInput(
                                    case_id=case.id, receiver_agency_id=world["crisis_agency"].id,
                                    service_code="shelter", idempotency_key="x", reason="x",
                                    consent=no_consent()))


def test_expiry_sweep_expires_once_and_announces(world, case):
    referral = send(world["officer"], case, world["crisis_agency"])
    assert service.expire_overdue_referrals(now=referral.deadline_at - timedelta(seconds=1)) == []
    later = referral.deadline_at + timedelta(seconds=1)
    assert service.expire_overdue_referrals(now=later) == [referral.id]
    assert service.expire_overdue_referrals(now=later) == []
    assert _events(referral.id)[-1] == "referral.expired"
    with pytest.raises(IllegalTransition):
        service.accept_referral(actor(world["crisis"]), referral_id=referral.id)


def test_coordinator_extends_reassigns_and_escalates(world, case):
    second = make_agency("crisis_center", "KZ-75", name="Crisis B", services=("shelter",),
                         shelter_places=5)
    coordinator = actor(world["coordinator"])
    referral = send(world["officer"], case, world["crisis_agency"])
    service.expire_overdue_referrals(now=referral.deadline_at + timedelta(minutes=1))
    new_deadline = utcnow() + timedelta(hours=5)
    extended = service.extend_deadline(coordinator, referral_id=referral.id,
                                       deadline_at=new_deadline, text="Weekend.")
    assert extended.status == "sent" and extended.deadline_at == new_deadline
    moved = service.reassign_referral(coordinator, referral_id=referral.id,
                                      receiver_agency_id=second.id, text="Closer.")
    assert moved.receiver_agency_id == second.id and moved.status == "sent"
    escalated = service.escalate_referral(coordinator, referral_id=referral.id)
    assert escalated.escalated_at is not None
    assert _events(referral.id)[-3:] == ["referral.deadline_extended", "referral.reassigned",
                                         "referral.escalated"]
    with pytest.raises(IllegalTransition, match="coordinator"):
        service.escalate_referral(actor(world["officer"]), referral_id=referral.id)


def test_coordinator_of_another_region_sees_nothing(world, case):
    far = make_user(world["akimat"], "coordinator", regions=("KZ-43",))
    referral = send(world["officer"], case, world["crisis_agency"])
    with pytest.raises(NotVisible):
        service.escalate_referral(actor(far), referral_id=referral.id)


def test_correctional_programme_progress(world, case):
    provider = make_agency("correctional_provider", "KZ-75", name="Programme",
                           services=("correctional_programme",))
    staff = make_user(provider)
    referral = send(world["officer"], case, provider, service_code="correctional_programme",
                    consent_input=no_consent("court_order"))
    assert referral.subject == "offender"
    who = actor(staff)
    service.accept_referral(who, referral_id=referral.id)
    with pytest.raises(DomainError):
        service.record_programme_event(who, referral_id=referral.id, kind="attended")
    service.record_programme_event(who, referral_id=referral.id, kind="enrolled")
    service.record_programme_event(who, referral_id=referral.id, kind="attended")
    service.record_programme_event(who, referral_id=referral.id, kind="attended")
    progressed = service.record_programme_event(who, referral_id=referral.id, kind="missed")
    assert (progressed.status, progressed.sessions_attended, progressed.sessions_missed) == (
        "in_progress", 2, 1)
    service.fail_referral(who, referral_id=referral.id, reason_code="dropped_out")
    lead = service.get_referral_for(actor(world["officer"]), referral.id)
    assert (lead.status, lead.sessions_attended, lead.status_reason) == ("failed", 2,
                                                                         "dropped_out")


def test_on_hold_needs_a_future_review_date(world, case):
    referral = send(world["officer"], case, world["crisis_agency"])
    crisis = actor(world["crisis"])
    service.accept_referral(crisis, referral_id=referral.id)
    with pytest.raises(DomainError):
        service.put_on_hold(crisis, referral_id=referral.id, reason_code="client_request",
                            review_at=utcnow() - timedelta(days=1))
    held = service.put_on_hold(crisis, referral_id=referral.id, reason_code="client_request",
                               review_at=utcnow() + timedelta(days=3))
    assert held.status == "on_hold"
    assert service.start_progress(crisis, referral_id=referral.id).status == "in_progress"
