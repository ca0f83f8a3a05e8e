"""``cases.referral_accepted``: kept by triggers on referrals whatever the path (migration 0015),
and what the sweep's escalation and the overdue review read instead of probing referrals."""

from __future__ import annotations

from sqlalchemy import select

from referral.access.scope import acting_as, system_actor
from referral.cases.models import Case
from referral.extensions import db
from referral.referrals import service
from tests.fixtures import actor
from tests.referrals.factories import make_case, send


def _taken_up(case_id: int) -> bool:
    with acting_as(system_actor("test reads the flag")):
        return bool(db.session.execute(
            select(Case.__table__.c.referral_accepted).where(Case.__table__.c.id == case_id)
        ).scalar_one())


def test_the_flag_follows_the_referrals_of_the_case(world):
    case = make_case(world["police"], world["officer"], risk="high")
    crisis = actor(world["crisis"])
    assert not _taken_up(case.id)
    first = send(world["officer"], case, world["crisis_agency"])
    second = send(world["officer"], case, world["crisis_agency"])
    assert not _taken_up(case.id)  # sent only
    service.decline_referral(crisis, referral_id=second.id, reason_code="other", text="Full.")
    assert not _taken_up(case.id)
    service.accept_referral(crisis, referral_id=first.id)
    assert _taken_up(case.id)
    service.start_progress(crisis, referral_id=first.id)
    assert _taken_up(case.id)
    service.fail_referral(crisis, referral_id=first.id, reason_code="other", text="Moved away.")
    assert not _taken_up(case.id)  # nothing taken up any more
    other = make_case(world["police"], world["officer"], risk="high")
    assert not _taken_up(other.id)
