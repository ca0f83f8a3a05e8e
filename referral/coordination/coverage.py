"""Coverage per district: the services a region has, their capacity and use, and the demand seen.

A remote district with demand (cases or referrals in the period) and no crisis center and no
family support center of its own is a coverage gap: the evidence a region needs to open one.
Demand counts leave restricted cases out and run as the coordinator (the scopes apply).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from referral.access.scope import Actor
from referral.agencies.models import Agency, AgencyType, District
from referral.audit import service as audit
from referral.cases.models import Case
from referral.coordination.common import as_actor, regions_for
from referral.coordination.performance import local_bounds
from referral.extensions import db
from referral.referrals.lifecycle import Status
from referral.referrals.models import AgencyCapacity, Referral

SERVICE_TYPES = (AgencyType.CRISIS_CENTER, AgencyType.FAMILY_SUPPORT,
                 AgencyType.CORRECTIONAL_PROVIDER, AgencyType.SPECIAL_POLICE)
SURVIVOR_SERVICES = (AgencyType.CRISIS_CENTER, AgencyType.FAMILY_SUPPORT)
CAPACITY_DECLINES = ("no_capacity", "out_of_area")


@dataclass
class DistrictCoverage:
    district_id: int | None
    name: str
    is_remote: bool
    agencies: dict[str, int] = field(default_factory=dict)  # agency type -> count
    places: int = 0
    places_in_use: int = 0
    cases: int = 0
    referrals: dict[str, int] = field(default_factory=dict)  # service -> count
    declines: dict[str, int] = field(default_factory=dict)  # no_capacity / out_of_area

    @property
    def referral_total(self) -> int:
        return sum(self.referrals.values())

    @property
    def decline_total(self) -> int:
        return sum(self.declines.values())

    @property
    def service_points(self) -> int:
        return sum(self.agencies.values())

    @property
    def has_demand(self) -> bool:
        return self.cases > 0 or self.referral_total > 0

    @property
    def gap(self) -> bool:
        """Remote, with demand, and no crisis or family support center of its own."""
        return (self.is_remote and self.has_demand
                and not any(self.agencies.get(t, 0) for t in SURVIVOR_SERVICES))


@dataclass
class Coverage:
    region_code: str
    start: date
    end: date
    districts: list[DistrictCoverage]

    @property
    def gaps(self) -> list[DistrictCoverage]:
        return [d for d in self.districts if d.gap]

    @property
    def services(self) -> list[str]:
        return sorted({s for d in self.districts for s in d.referrals})


def _districts(region_code: str) -> dict[int | None, DistrictCoverage]:
    rows = db.session.execute(select(District).where(District.region_code == region_code)
                              .order_by(District.name_en)).scalars()
    found: dict[int | None, DistrictCoverage] = {
        d.id: DistrictCoverage(d.id, d.name, d.is_remote) for d in rows
    }
    found[None] = DistrictCoverage(None, "", False)  # agencies or cases with no district
    return found


def _supply(region_code: str, found: dict[int | None, DistrictCoverage]) -> None:
    rows = db.session.execute(
        select(Agency.district_id, Agency.type, func.count(Agency.id),
               func.coalesce(func.sum(Agency.shelter_places), 0),
               func.coalesce(func.sum(AgencyCapacity.places_in_use), 0))
        .outerjoin(AgencyCapacity, AgencyCapacity.agency_id == Agency.id)
        .where(Agency.region_code == region_code, Agency.is_active.is_(True),
               Agency.type.in_([t.value for t in SERVICE_TYPES]))
        .group_by(Agency.district_id, Agency.type)
    ).all()
    for district_id, type_, count, places, in_use in rows:
        row = found.get(district_id) or found[None]
        row.agencies[type_] = row.agencies.get(type_, 0) + count
        if type_ == AgencyType.CRISIS_CENTER:
            row.places += int(places)
            row.places_in_use += int(in_use)


def _demand(region_code: str, start: date, end: date,
            found: dict[int | None, DistrictCoverage]) -> None:
    first, last = local_bounds(start, end)
    cases = select(Case.district_id, func.count(Case.id)).where(
        Case.region_code == region_code, Case.restricted.is_(False),
        Case.created_at >= first, Case.created_at < last).group_by(Case.district_id)
    for district_id, count in db.session.execute(cases).all():
        (found.get(district_id) or found[None]).cases += count
    referrals = (select(Case.district_id, Referral.service_code, Referral.status,
                        Referral.decline_reason, func.count(Referral.id))
                 .join(Case, Case.id == Referral.case_id)
                 .where(Referral.region_code == region_code, Case.restricted.is_(False),
                        Referral.sent_at >= first, Referral.sent_at < last)
                 .group_by(Case.district_id, Referral.service_code, Referral.status,
                           Referral.decline_reason))
    for district_id, service, status, reason, count in db.session.execute(referrals).all():
        row = found.get(district_id) or found[None]
        row.referrals[service] = row.referrals.get(service, 0) + count
        if status == Status.DECLINED and reason in CAPACITY_DECLINES:
            row.declines[reason] = row.declines.get(reason, 0) + count


@as_actor
def district_coverage(actor: Actor, *, region_code: str | None, start: date,
                      end: date) -> Coverage:
    """Supply and demand per district of one of the coordinator's regions."""
    region = regions_for(actor, region_code)[0]
    found = _districts(region)
    _supply(region, found)
    _demand(region, start, end, found)
    unplaced = found.pop(None)
    districts = list(found.values())
    if unplaced.service_points or unplaced.has_demand:
        districts.append(unplaced)
    audit.record("coordination.coverage", object_type="region", object_id=region,
                 details={"start": start.isoformat(), "end": end.isoformat()})
    return Coverage(region, start, end, districts)
