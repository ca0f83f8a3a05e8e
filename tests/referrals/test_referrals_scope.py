"""What each party sees of a referral and its case: before and after acceptance, with and
without consent, after withdrawal, and never for outsiders or restricted cases."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from referral.access.scope import acting_as
from referral.cases import service as cases_service
from referral.cases.scope import visible_categories
from referral.errors import NotVisible
from referral.models_base import utcnow
from referral.referrals import service
from tests.fixtures import actor, make_user
from tests.referrals.factories import consent, make_case, no_consent, send


@pytest.fixture
def case(world):
    return make_case(world["police"], world["officer"], risk="high")


def _categories(user, case_id):
    who = actor(user)
    case = cases_service.get_case_for(who, case_id)
    with acting_as(who):
        return set(visible_categories(who, case))


def _sees_case(user, case_id):
    try:
        cases_service.get_case_for(actor(user), case_id)
    except NotVisible:
        return False
    return True


def test_receiver_sees_only_the_referral_before_accepting(world, case):
    referral = send(world["officer"], case, world["crisis_agency"])
    crisis = world["crisis"]
    assert service.get_referral_for(actor(crisis), referral.id).reason
    assert not _sees_case(crisis, case.id)
    assert [r.id for r in service.list_inbox_for(actor(crisis))] == [referral.id]


def test_after_acceptance_receiver_reads_consented_categories_only(world, case):
    referral = send(world["officer"], case, world["crisis_agency"],
                    consent_input=consent("identity_contact", "risk_assessment"))
    service.accept_referral(actor(world["crisis"]), referral_id=referral.id)
    assert _sees_case(world["crisis"], case.id)
    assert _categories(world["crisis"], case.id) == {"identity_contact", "risk_assessment"}
    assert len(_categories(world["officer"], case.id)) == 4  # the owner reads everything


def test_withdrawal_narrows_access_at_once(world, case):
    referral = send(world["officer"], case, world["crisis_agency"])
    service.accept_referral(actor(world["crisis"]), referral_id=referral.id)
    assert len(_categories(world["crisis"], case.id)) == 4
    service.withdraw_consent(actor(world["officer"]), referral_id=referral.id)
    assert _categories(world["crisis"], case.id) == set()
    # the referral itself stays readable: the minimum needed to act
    assert service.get_referral_for(actor(world["crisis"]), referral.id).need_to_know == ""


def test_without_consent_receiver_gets_only_the_minimum(world, case):
    referral = send(world["officer"], case, world["crisis_agency"], consent_input=no_consent())
    service.accept_referral(actor(world["crisis"]), referral_id=referral.id)
    assert _categories(world["crisis"], case.id) == set()
    coordinator_view = service.get_consent_for(actor(world["coordinator"]), referral.id)
    assert coordinator_view.legal_ground == "child_at_risk"


def test_consent_ends_on_its_end_date(world, case):
    until = utcnow() + timedelta(days=10)
    referral = send(world["officer"], case, world["crisis_agency"], consent_input=consent(
        "identity_contact", until=until))
    service.accept_referral(actor(world["crisis"]), referral_id=referral.id)
    assert _categories(world["crisis"], case.id) == {"identity_contact"}
    with time_machine.travel(until + timedelta(minutes=1)):
        assert _categories(world["crisis"], case.id) == set()


def test_declined_referral_shares_nothing(world, case):
    referral = send(world["officer"], case, world["crisis_agency"])
    service.decline_referral(actor(world["crisis"]), referral_id=referral.id,
                             reason_code="out_of_area")
    assert not _sees_case(world["crisis"], case.id)


@pytest.mark.parametrize("who", ["other", "admin"])
def test_outsiders_and_administrators_see_no_referral(world, case, who):
    referral = send(world["officer"], case, world["crisis_agency"])
    with pytest.raises(NotVisible):
        service.get_referral_for(actor(world[who]), referral.id)
    assert service.list_inbox_for(actor(world[who])) == []


def test_restricted_case_referrals_only_for_named_users(world):
    named_crisis = make_user(world["crisis_agency"])
    case = make_case(world["police"], world["officer"], restricted=True,
                     members=(world["officer"], named_crisis))
    referral = send(world["officer"], case, world["crisis_agency"])
    for user in (world["crisis"], world["coordinator"], world["manager"]):
        with pytest.raises(NotVisible):
            service.get_referral_for(actor(user), referral.id)
        assert service.list_inbox_for(actor(user)) == []
    assert service.get_referral_for(actor(named_crisis), referral.id).id == referral.id


def test_coordinator_sees_region_referrals(world, case):
    referral = send(world["officer"], case, world["crisis_agency"])
    assert [r.id for r in service.list_region_referrals_for(actor(world["coordinator"]))] == [
        referral.id]
