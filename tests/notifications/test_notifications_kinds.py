"""Who hears about the cases domain's events (the referral kinds are covered elsewhere)."""

from __future__ import annotations

from sqlalchemy import select

from referral.access.scope import acting_as
from referral.cases.models import AccessRequest
from referral.events.service import emit
from referral.extensions import db
from referral.notifications.kinds import all_kinds
from referral.notifications.models import Notification
from tests.fixtures import actor
from tests.notifications.factories import make_case

LIFECYCLE_EVENTS = ("sent", "accepted", "declined", "cancelled", "expired", "in_progress",
                    "on_hold", "completed", "failed", "reassigned", "deadline_extended",
                    "escalated", "consent_withdrawn")


def _told(event) -> dict[int, str]:
    return {n.user_id: n.reference for n in db.session.execute(
        select(Notification).where(Notification.event_id == event.id)).scalars()}


def test_every_referral_event_has_a_kind():
    kinds = all_kinds()
    assert all(f"referral.{name}" in kinds for name in LIFECYCLE_EVENTS)


def test_high_risk_case_alerts_the_regions_coordinator(world):
    case = make_case(world["police"], world["officer"], risk_level="high")
    with acting_as(actor(world["officer"])):
        event = emit("case.high_risk", subject_type="case", subject_id=case.id,
                     region=case.region_code, agency_id=world["police"].id)
    assert _told(event) == {world["coordinator"].id: case.reference}


def test_access_requests_never_name_the_case_to_the_requester(world):
    case = make_case(world["police"], world["officer"])
    request = AccessRequest(case_id=case.id, owner_agency_id=world["police"].id,
                            requester_agency_id=world["other_agency"].id,
                            requester_user_id=world["other"].id)
    db.session.add(request)
    db.session.flush()
    with acting_as(actor(world["other"])):
        created = emit("access_request.created", subject_type="access_request",
                       subject_id=request.id, agency_id=world["police"].id)
    assert _told(created) == {world["manager"].id: f"AR-{request.id}"}  # managers decide
    with acting_as(actor(world["manager"])):
        granted = emit("access_request.granted", subject_type="access_request",
                       subject_id=request.id, agency_id=world["other_agency"].id)
    assert _told(granted) == {world["other"].id: f"AR-{request.id}"}
