"""Agency performance for a region: how referrals sent to each agency were answered.

Definitions (also shown on the page):
- received: referrals sent in the period to the agency (for cases of the region);
- accepted: those with an acceptance time; acceptance rate = accepted / received;
- time to accept: accepted_at - sent_at, in hours; median, and the 90th percentile by the
  nearest-rank method;
- accepted within deadline: accepted_at <= deadline_at, as a share of accepted;
- declines by coded reason; completions and their coded outcomes (by current status).
Restricted cases are left out; the query runs as the coordinator (the referral scope applies).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from referral.access.scope import Actor
from referral.agencies.models import Agency
from referral.audit import service as audit
from referral.cases.models import Case
from referral.coordination import stats
from referral.coordination.common import as_actor, display_zone, regions_for
from referral.extensions import db
from referral.referrals.lifecycle import Status
from referral.referrals.models import Referral


@dataclass
class Figures:
    received: int = 0
    accepted: int = 0
    within_deadline: int = 0
    completed: int = 0
    hours: list[float] = field(default_factory=list)
    declines: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def acceptance_rate(self) -> float | None:
        return stats.rate(self.accepted, self.received)

    @property
    def within_deadline_share(self) -> float | None:
        return stats.rate(self.within_deadline, self.accepted)

    @property
    def median_hours(self) -> float | None:
        return stats.median(self.hours)

    @property
    def p90_hours(self) -> float | None:
        return stats.percentile_nearest_rank(self.hours, 90)

    @property
    def declined(self) -> int:
        return sum(self.declines.values())

    def add(self, row: Any) -> None:
        self.received += 1
        if row.accepted_at is not None:
            self.accepted += 1
            self.hours.append(stats.hours_between(row.sent_at, row.accepted_at))
            if row.accepted_at <= row.deadline_at:
                self.within_deadline += 1
        if row.status == Status.DECLINED and row.decline_reason:
            self.declines[row.decline_reason] = self.declines.get(row.decline_reason, 0) + 1
        if row.status == Status.COMPLETED:
            self.completed += 1
            if row.outcome:
                self.outcomes[row.outcome] = self.outcomes.get(row.outcome, 0) + 1


@dataclass
class AgencyFigures:
    agency_id: int
    name: str
    figures: Figures


@dataclass
class PeriodFigures:
    start: date
    label: str
    figures: Figures


@dataclass
class Performance:
    regions: list[str]
    start: date
    end: date
    granularity: str
    agencies: list[AgencyFigures]
    total: Figures
    trend: list[PeriodFigures]

    @property
    def decline_codes(self) -> list[str]:
        return sorted({code for a in self.agencies for code in a.figures.declines})

    @property
    def outcome_codes(self) -> list[str]:
        return sorted({code for a in self.agencies for code in a.figures.outcomes})


def local_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """UTC instants of the local start of ``start`` and the local end of ``end``."""
    zone = display_zone()
    first = datetime.combine(start, time.min, zone).astimezone(UTC)
    last = datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(UTC)
    return first, last


def default_range(today: date, granularity: str) -> tuple[date, date]:
    """The last 12 weeks or 12 months up to today."""
    if granularity == stats.WEEK:
        return today - timedelta(days=today.weekday() + 7 * 11), today
    first = today.replace(day=1)
    for _ in range(11):
        first = (first - timedelta(days=1)).replace(day=1)
    return first, today


def _rows(regions: Sequence[str], first: datetime, last: datetime,
          agency_id: int | None) -> list[Any]:
    query = (select(Referral.receiver_agency_id, Referral.sent_at, Referral.accepted_at,
                    Referral.deadline_at, Referral.status, Referral.decline_reason,
                    Referral.outcome)
             .join(Case, Case.id == Referral.case_id)
             .where(Referral.region_code.in_(list(regions)), Case.restricted.is_(False),
                    Referral.sent_at >= first, Referral.sent_at < last)
             .order_by(Referral.sent_at, Referral.id))
    if agency_id:
        query = query.where(Referral.receiver_agency_id == agency_id)
    return list(db.session.execute(query).all())


@as_actor
def agency_performance(actor: Actor, *, start: date, end: date, granularity: str = stats.MONTH,
                       region_code: str | None = None,
                       agency_id: int | None = None) -> Performance:
    """Per receiving agency and per period, the figures defined in this module's docstring."""
    regions = regions_for(actor, region_code)
    if granularity not in stats.GRANULARITIES:
        granularity = stats.MONTH
    first, last = local_bounds(start, end)
    rows = _rows(regions, first, last, agency_id)
    zone = display_zone()
    by_agency: dict[int, Figures] = {}
    total = Figures()
    periods = stats.periods_between(stats.period_start(first, granularity, zone),
                                    stats.period_start(last - timedelta(seconds=1),
                                                       granularity, zone), granularity)
    by_period = {p: Figures() for p in periods}
    for row in rows:
        by_agency.setdefault(row.receiver_agency_id, Figures()).add(row)
        total.add(row)
        by_period[stats.period_start(row.sent_at, granularity, zone)].add(row)
    names = dict(db.session.execute(
        select(Agency.id, Agency.name).where(Agency.id.in_(sorted(by_agency)))).all())
    agencies = sorted((AgencyFigures(a, names.get(a, "?"), f) for a, f in by_agency.items()),
                      key=lambda a: (-a.figures.received, a.name))
    trend = [PeriodFigures(p, stats.period_label(p, granularity), f) for p, f in by_period.items()]
    audit.record("coordination.performance", object_type="region", object_id=",".join(regions),
                 details={"start": start.isoformat(), "end": end.isoformat(),
                          "granularity": granularity})
    return Performance(regions, start, end, granularity, agencies, total, trend)
