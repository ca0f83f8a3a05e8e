"""A national directory's size: 2,000 organizations load in seconds, with a number of
statements that does not grow with the rows (existing rows are loaded by external id in bulk)."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from referral.agencies.models import Agency, AgencyService
from referral.extensions import db
from tests.fixtures import fresh, recorded_statements
from tests.imports.helpers import commit, dry, workbook_bytes


def _directory(count: int, *, places: int = 0) -> dict[str, list[dict[str, str]]]:
    orgs, locations, services = [], [], []
    for n in range(count):
        orgs.append({"id": f"org-{n}", "name": f"Agency {n}", "x_agency_type": "ngo",
                     "x_region_code": "KZ-75", "x_district_id": "d-1",
                     "x_shelter_places": str(places)})
        locations.append({"id": f"loc-{n}", "organization_id": f"org-{n}",
                          "address_1": f"Street {n}", "city": "Almaty"})
        services.append({"id": f"svc-{n}", "organization_id": f"org-{n}",
                         "x_service_code": "legal_aid"})
    return {"districts": [{"id": "d-1", "region_code": "KZ-75", "name_en": "Big district"}],
            "organizations": orgs, "locations": locations, "services": services}


def _statements(call) -> int:
    with recorded_statements() as found:
        call()
    return len(found)


def test_two_thousand_organizations_in_reasonable_time_and_constant_statements(ctx, world):
    small, large = workbook_bytes(_directory(50)), workbook_bytes(_directory(2000))
    checked_small = _statements(lambda: dry(small))
    fresh()
    checked_large = _statements(lambda: dry(large))
    assert checked_large <= checked_small + 4, (checked_small, checked_large)

    started = time.monotonic()
    fresh()
    written = _statements(lambda: commit(large))
    assert time.monotonic() - started < 60
    assert written < 40, written  # a handful of statements per table, not one per row
    fresh()
    assert db.session.execute(select(func.count()).select_from(Agency).where(
        Agency.external_id.like("org-%"))).scalar_one() == 2000
    assert db.session.execute(select(func.count()).select_from(AgencyService).where(
        AgencyService.external_id.like("svc-%"))).scalar_one() == 2000

    fresh()
    again = _statements(lambda: commit(large))  # unchanged: reads, no writes
    assert again <= checked_large + 6, again
    fresh()
    report = dry(workbook_bytes(_directory(2000, places=3)))
    assert report.counts["update"] == 2000 and report.counts["create"] == 0
