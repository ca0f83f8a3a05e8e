"""A referral carries its case's region (what coordinators read by), and follows the case."""

from __future__ import annotations

from referral.access.permissions import Role
from referral.cases import service as cases_service
from referral.extensions import db
from referral.referrals import service
from tests.fixtures import actor, fresh, make_user
from tests.referrals.factories import make_case, send


def _by_get(user, referral_id: int) -> bool:
    from referral.errors import NotVisible

    try:
        service.get_referral_for(actor(user), referral_id)
    except NotVisible:
        return False
    return True


def test_a_sent_referral_takes_its_case_region(world):
    case = make_case(world["police"], world["officer"])
    referral = send(world["officer"], case, world["crisis_agency"])
    assert referral.region_code == case.region_code == "KZ-75"


def test_moving_a_case_moves_its_referrals_to_the_new_region_coordinators(world):
    case = cases_service.open_case(actor(world["officer"]),
                                   cases_service.CaseInput(region_code="KZ-75"),
                                   creation_token=cases_service.new_creation_token())
    referral = send(world["officer"], case, world["crisis_agency"])
    db.session.commit()
    north = make_user(world["akimat"], Role.COORDINATOR, regions=("KZ-43",))
    db.session.commit()
    assert _by_get(world["coordinator"], referral.id)
    assert not _by_get(north, referral.id)

    cases_service.update_case(actor(world["officer"]), case.id,
                              cases_service.CaseInput(region_code="KZ-43"),
                              expected_version=case.version)
    db.session.commit()
    fresh()
    assert _by_get(north, referral.id)
    assert not _by_get(world["coordinator"], referral.id)
