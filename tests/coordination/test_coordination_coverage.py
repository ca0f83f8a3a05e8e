"""Coverage per district: supply, capacity and use, demand and gaps, by hand."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from referral.access.permissions import Role
from referral.coordination.stats import coverage as service
from referral.errors import NotVisible
from referral.extensions import db
from referral.referrals.models import AgencyCapacity
from tests.coordination.factories import NOW, make_case, make_referral
from tests.fixtures import actor, make_agency, make_district, make_user


@pytest.fixture
def data(world):
    w = dict(world)
    officer, police = w["officer"], w["police"]
    center = make_district("KZ-75", "Center")
    remote1 = make_district("KZ-75", "Remote One", remote=True)
    remote2 = make_district("KZ-75", "Remote Two", remote=True)
    remote3 = make_district("KZ-75", "Remote Three", remote=True)
    big = make_agency("crisis_center", "KZ-75", district=center, shelter_places=10,
                      services=("shelter",))
    db.session.add(AgencyCapacity(agency_id=big.id, places_in_use=4))
    make_agency("special_police", "KZ-75", district=center)
    make_agency("correctional_provider", "KZ-75", district=center)
    make_agency("family_support", "KZ-75", district=remote2)
    make_agency("crisis_center", "KZ-75", district=remote1).is_active = False
    in_period = NOW - timedelta(days=10)
    make_case(police, officer, district=center, created_at=in_period)
    c2 = make_case(police, officer, district=center, created_at=in_period)
    r1 = make_case(police, officer, district=remote1, created_at=in_period)
    make_case(police, officer, district=remote1, created_at=NOW - timedelta(days=400))
    make_case(police, officer, district=remote2, created_at=in_period)
    make_case(police, officer, district=remote3, created_at=in_period, restricted=True)
    sent = NOW - timedelta(days=5)
    make_referral(r1, officer, big, sent_at=sent, status="declined", decline_reason="no_capacity")
    make_referral(r1, officer, big, sent_at=sent, status="declined", decline_reason="out_of_area")
    make_referral(r1, officer, big, sent_at=sent, service="psychological")
    make_referral(c2, officer, big, sent_at=sent, status="accepted",
                  accepted_after=timedelta(hours=1))
    db.session.commit()
    return w


def test_supply_and_demand_per_district(data):
    w = data
    cov = service.district_coverage(actor(w["coordinator"]), region_code=None,
                                    start=date(2026, 1, 1), end=date(2026, 3, 31))
    by = {d.name: d for d in cov.districts}
    assert list(by) == ["Center", "Remote One", "Remote Three", "Remote Two", ""]
    center = by["Center"]
    assert center.agencies == {"crisis_center": 1, "special_police": 1,
                               "correctional_provider": 1}
    assert (center.places, center.places_in_use, center.cases) == (10, 4, 2)
    assert center.referrals == {"shelter": 1} and center.declines == {}
    one = by["Remote One"]
    assert (one.agencies, one.cases) == ({}, 1)
    assert one.referrals == {"shelter": 2, "psychological": 1}
    assert one.declines == {"no_capacity": 1, "out_of_area": 1}
    assert by["Remote Two"].agencies == {"family_support": 1} and by["Remote Two"].cases == 1
    assert by["Remote Three"].cases == 0  # only a restricted case there
    assert by[""].agencies == {"crisis_center": 1} and by[""].places == 2
    assert [d.name for d in cov.gaps] == ["Remote One"]
    assert cov.services == ["psychological", "shelter"]


def test_coverage_is_scoped(data):
    w = data
    kz43 = make_user(w["other_agency"], Role.COORDINATOR, regions=("KZ-43",))
    db.session.commit()
    with pytest.raises(NotVisible):
        service.district_coverage(actor(kz43), region_code="KZ-75", start=date(2026, 1, 1),
                                  end=date(2026, 3, 31))
    mine = service.district_coverage(actor(kz43), region_code=None, start=date(2026, 1, 1),
                                     end=date(2026, 3, 31))
    assert all(d.cases == 0 and not d.referrals for d in mine.districts)
    with pytest.raises(NotVisible):
        service.district_coverage(actor(w["admin"]), region_code=None, start=date(2026, 1, 1),
                                  end=date(2026, 3, 31))
