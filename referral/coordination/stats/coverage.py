"""Coverage per district: the services a region has, their capacity and use, and the demand seen.

A remote district with demand (cases or referrals in the period) and no crisis center and no
family support center of its own is a coverage gap: the evidence a region needs to open one.
Demand counts leave restricted cases out and run as the coordinator (the scopes apply).
Supply and demand are counted by the database in one statement (three GROUP BYs).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, null, select, union_all

from referral import replica
from referral.access import scoped
from referral.access.scope import Actor
from referral.agencies.models import Agency, AgencyType, District
from referral.audit import service as audit
from referral.cases.models import Case
from referral.coordination.coordinators import regions_for
from referral.coordination.local_time import local_bounds
from referral.coordination.stats import cache, sql
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
    computed_at: datetime | None = None  # the figures may be a few minutes old (stats.cache)

    @property
    def gaps(self) -> list[DistrictCoverage]:
        return [d for d in self.districts if d.gap]

    @property
    def services(self) -> list[str]:
        return sorted({s for d in self.districts for s in d.referrals})


def _districts(region_code: str) -> dict[int | None, DistrictCoverage]:
    rows = db.session.execute(select(District).where(District.region_code == region_code)
                              .order_by(District.name_en),
                              bind_arguments=replica.reads()).scalars()
    found: dict[int | None, DistrictCoverage] = {
        d.id: DistrictCoverage(d.id, d.name, d.is_remote) for d in rows
    }
    found[None] = DistrictCoverage(None, "", False)  # agencies or cases with no district
    return found


def _supply(region_code: str) -> Select[Any]:
    """Active service points per district and type, with crisis center places and their use."""
    return (
        select(literal("supply").label("measure"), Agency.district_id, Agency.type,
               null().label("reason"), func.count(Agency.id).label("n"),
               func.coalesce(func.sum(Agency.shelter_places), 0).label("places"),
               func.coalesce(func.sum(AgencyCapacity.places_in_use), 0).label("in_use"))
        .outerjoin(AgencyCapacity, AgencyCapacity.agency_id == Agency.id)
        .where(Agency.region_code == region_code, Agency.is_active.is_(True),
               Agency.type.in_([t.value for t in SERVICE_TYPES]))
        .group_by(Agency.district_id, Agency.type))


def _cases(region_code: str, first: datetime, last: datetime) -> Select[Any]:
    """Cases opened in the period per district (index ix_cases_region_created covers it)."""
    return (
        select(literal("cases"), Case.district_id, null(), null(), func.count(Case.id),
               literal(0), literal(0))
        .where(Case.region_code == region_code, Case.restricted.is_(False),
               Case.created_at >= first, Case.created_at < last)
        .group_by(Case.district_id))


def _referrals(region_code: str, first: datetime, last: datetime) -> Select[Any]:
    """Referrals sent in the period per district of their case, service and capacity decline.

    From the referrals' copy of their case's region and district (kept in step by a listener in
    referral/referrals/models.py): one range of ix_referrals_region_sent, which covers these
    columns, and no case read (joining the cases for the district would hash a large region's tens
    of thousands of cases per page). The referral scope and the explicit exclusion of restricted
    cases and of referrals entered in error decide which referrals count, as everywhere in these
    figures.
    """
    capacity = case((and_(Referral.status == Status.DECLINED.value,
                          Referral.decline_reason.in_(CAPACITY_DECLINES)),
                     Referral.decline_reason))
    return (
        select(literal("referrals"), Referral.district_id, Referral.service_code, capacity,
               func.count(), literal(0), literal(0))
        .where(Referral.region_code == region_code, sql.referral_not_sealed(),
               sql.referral_counted(), Referral.sent_at >= first, Referral.sent_at < last)
        .group_by(Referral.district_id, Referral.service_code, capacity))


def _supply_and_demand(region_code: str, start: date, end: date,
                       found: dict[int | None, DistrictCoverage]) -> None:
    """Supply, cases and referrals per district: three GROUP BYs in one statement."""
    first, last = local_bounds(start, end)
    query = union_all(_supply(region_code), _cases(region_code, first, last),
                      _referrals(region_code, first, last))
    for measure, district_id, key, reason, count, places, in_use in \
            db.session.execute(query, bind_arguments=replica.reads()).all():
        row = found.get(district_id) or found[None]
        if measure == "supply":
            row.agencies[key] = row.agencies.get(key, 0) + count
            if key == AgencyType.CRISIS_CENTER:
                row.places += int(places)
                row.places_in_use += int(in_use)
        elif measure == "cases":
            row.cases += count
        else:
            row.referrals[key] = row.referrals.get(key, 0) + count
            if reason:
                row.declines[reason] = row.declines.get(reason, 0) + count


@scoped
def district_coverage(actor: Actor, *, region_code: str | None, start: date,
                      end: date) -> Coverage:
    """Supply and demand per district of one of the coordinator's regions, computed at most a
    few minutes ago (stats.cache)."""
    region = regions_for(actor, region_code)[0]

    def compute() -> Coverage:
        found = _districts(region)
        _supply_and_demand(region, start, end, found)
        unplaced = found.pop(None)
        districts = list(found.values())
        if unplaced.service_points or unplaced.has_demand:
            districts.append(unplaced)
        return Coverage(region, start, end, districts)

    result, computed_at = cache.figures("coverage", actor, [region], (start, end),
                                                compute)
    audit.record("coordination.coverage", object_type="region", object_id=region,
                 details={"start": start.isoformat(), "end": end.isoformat()})
    return replace(result, computed_at=computed_at)
