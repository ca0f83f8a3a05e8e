"""Expired referrals of closed cases need no one's attention: the overdue review, the region
panel and the region list leave them out, and take them back when the case reopens.

The review reads ``referrals.case_closed``, a copy of the case's status kept in step by a
database trigger (migration 0011); these tests close and reopen cases through the case
service and through plain SQL, on SQLite and (in the second CI pass) PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from referral.access.permissions import Role
from referral.access.scope import acting_as
from referral.cases import service as cases
from referral.coordination.service import review as service
from referral.coordination.service.review import Filters
from referral.extensions import db
from referral.referrals import panels, queries
from tests.closure.factories import signed_off
from tests.coordination.factories import NOW, make_case, make_referral
from tests.fixtures import actor, make_agency, make_user
from tests.referrals.factories import send

D = timedelta(days=1)
H = timedelta(hours=1)


def _flags(*referrals) -> list[bool]:
    return [bool(db.session.execute(text("SELECT case_closed FROM referrals WHERE id = :i"),
                                    {"i": r.id}).scalar_one()) for r in referrals]


def _overdue_ids(coordinator) -> list[int]:
    review = service.overdue_review(actor(coordinator), now=NOW)
    return [row.referral_id for row in review.sections[service.OVERDUE]]


def test_closing_and_reopening_a_case_moves_its_expired_referrals(world):
    w = world
    case = make_case(w["police"], w["officer"])
    first = make_referral(case, w["officer"], w["crisis_agency"], status="expired",
                          sent_at=NOW - 3 * D, deadline=D)
    second = make_referral(case, w["officer"], w["crisis_agency"], status="expired",
                           sent_at=NOW - 5 * D, deadline=D)
    other = make_referral(make_case(w["police"], w["officer"]), w["officer"],
                          w["crisis_agency"], status="expired", sent_at=NOW - 4 * D, deadline=D)
    db.session.commit()
    assert _overdue_ids(w["coordinator"]) == [second.id, other.id, first.id]

    signed_off(case.id)
    cases.change_status(actor(w["officer"]), case.id, status="closed",
                        reason="safe_no_further_risk")
    db.session.commit()
    assert _flags(first, second, other) == [True, True, False]
    assert _overdue_ids(w["coordinator"]) == [other.id]
    coordinator = actor(w["coordinator"])
    with acting_as(coordinator):
        assert panels.region_panel(coordinator)["expired"] == 1
    assert [r.id for r in queries.list_region_referrals_for(coordinator)] == [other.id]

    cases.change_status(actor(w["officer"]), case.id, status="open")
    db.session.commit()
    assert _flags(first, second, other) == [False, False, False]
    assert _overdue_ids(w["coordinator"]) == [second.id, other.id, first.id]
    with acting_as(coordinator):
        assert panels.region_panel(coordinator)["expired"] == 3


def test_the_copy_follows_any_update_of_the_case_status(world):
    """The trigger, not the service, keeps the copy: a status changed by plain SQL (a data fix,
    another tool) moves the referrals too; other changes of the case leave them alone."""
    w = world
    case = make_case(w["police"], w["officer"], status="monitoring")
    referral = make_referral(case, w["officer"], w["crisis_agency"], status="expired",
                             sent_at=NOW - 3 * D, deadline=D)
    db.session.commit()
    db.session.execute(text("UPDATE cases SET status = 'closed' WHERE id = :i"), {"i": case.id})
    assert _flags(referral) == [True]
    db.session.execute(text("UPDATE cases SET address = 'elsewhere' WHERE id = :i"),
                       {"i": case.id})
    assert _flags(referral) == [True]
    db.session.execute(text("UPDATE cases SET status = 'monitoring' WHERE id = :i"),
                       {"i": case.id})
    assert _flags(referral) == [False]
    db.session.rollback()


def test_a_referral_sent_from_an_open_case_starts_open(world):
    w = world
    case = make_case(w["police"], w["officer"])
    db.session.commit()
    referral = send(w["officer"], case, w["crisis_agency"])
    db.session.commit()
    assert _flags(referral) == [False]


def test_each_call_binds_its_own_time_and_filters(world):
    """The statements are built once and reused: a later call with another time, region or
    filter must get its own answer, not the first call's."""
    w = world
    kz43 = w["other_agency"]
    both = make_user(w["akimat"], Role.COORDINATOR, regions=("KZ-75", "KZ-43"))
    here = make_referral(make_case(w["police"], w["officer"], risk_level="high",
                                   high_risk_flagged_at=NOW - D),
                         w["officer"], w["crisis_agency"], sent_at=NOW - 20 * H,
                         deadline=24 * H)
    there_case = make_case(kz43, w["other"], risk_level="high", high_risk_flagged_at=NOW - D)
    there = make_referral(there_case, w["other"], make_agency("crisis_center", "KZ-43"),
                          sent_at=NOW - 30 * H, deadline=24 * H)
    db.session.commit()
    coordinator = actor(both)

    now = service.overdue_review(coordinator, now=NOW)
    assert [r.referral_id for r in now.sections[service.OVERDUE]] == [there.id]
    assert [r.referral_id for r in now.sections[service.DUE_SOON]] == [here.id]
    later = service.overdue_review(coordinator, now=NOW + 5 * H)
    assert [r.referral_id for r in later.sections[service.OVERDUE]] == [there.id, here.id]
    assert later.sections[service.DUE_SOON] == []

    narrowed = service.overdue_review(coordinator, filters=Filters(region_code="KZ-75"), now=NOW)
    assert narrowed.counts[service.OVERDUE] == 0
    assert [r.case_id for r in narrowed.sections[service.HIGH_RISK]] == [here.case_id]
    other = service.overdue_review(coordinator, filters=Filters(region_code="KZ-43"), now=NOW)
    assert [r.referral_id for r in other.sections[service.OVERDUE]] == [there.id]
    assert [r.case_id for r in other.sections[service.HIGH_RISK]] == [there_case.id]
