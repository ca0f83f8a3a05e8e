"""Agency performance for a region: how referrals sent to each agency were answered.

Definitions (also shown on the page):
- received: referrals sent in the period to the agency (for cases of the region);
- accepted: those with an acceptance time; acceptance rate = accepted / received;
- time to accept: accepted_at - sent_at, in hours; median, and the 90th percentile by the
  nearest-rank method;
- accepted within deadline: accepted_at <= deadline_at, as a share of accepted;
- declines by coded reason; completions and their coded outcomes (by current status);
- opened: those a user of the agency has opened (``received_at``); unopened = received - opened.
Restricted cases and referrals entered in error (sent by mistake) are left out; the query runs
as the coordinator (the referral scope applies).

PostgreSQL computes every figure in one GROUP BY GROUPING SETS statement (percentile_disc for
the times); SQLite, which has no percentile function, reads the rows and Python applies the
same definitions (numbers.py). Both paths give the same numbers (tests/coordination/
test_coordination_figures_sql.py). For whole months on PostgreSQL (the page's default, the last
twelve months), the figures are added up from month rows the database keeps (month_rows.py,
migration 0019); the same numbers again (tests/coordination/test_month_figures.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, tuple_

from referral import replica
from referral.access import scoped
from referral.access.scope import Actor
from referral.agencies.models import Agency
from referral.audit import service as audit
from referral.coordination.coordinators import regions_for
from referral.coordination.local_time import display_zone, local_bounds
from referral.coordination.stats import cache, month_rows, numbers, sql
from referral.extensions import db
from referral.referrals.lifecycle import Status
from referral.referrals.models import Referral


@dataclass
class Figures:
    received: int = 0
    accepted: int = 0
    within_deadline: int = 0
    completed: int = 0
    median_hours: float | None = None
    p90_hours: float | None = None
    declines: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    opened: int = 0

    @property
    def unopened(self) -> int:
        return self.received - self.opened

    @property
    def acceptance_rate(self) -> float | None:
        return numbers.rate(self.accepted, self.received)

    @property
    def within_deadline_share(self) -> float | None:
        return numbers.rate(self.within_deadline, self.accepted)

    @property
    def declined(self) -> int:
        return sum(self.declines.values())


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
    computed_at: datetime | None = None  # the figures may be a few minutes old (stats.cache)

    @cached_property
    def decline_codes(self) -> list[str]:
        return sorted({code for a in self.agencies for code in a.figures.declines})

    @cached_property
    def outcome_codes(self) -> list[str]:
        return sorted({code for a in self.agencies for code in a.figures.outcomes})


def default_range(today: date, granularity: str) -> tuple[date, date]:
    """The last 12 weeks or 12 months up to today."""
    if granularity == numbers.WEEK:
        return today - timedelta(days=today.weekday() + 7 * 11), today
    first = today.replace(day=1)
    for _ in range(11):
        first = (first - timedelta(days=1)).replace(day=1)
    return first, today


@dataclass
class _Found:
    """Figures per receiving agency (and its name), per period (1-based index) and in total."""

    agencies: dict[int, Figures] = field(default_factory=dict)
    periods: dict[int, Figures] = field(default_factory=dict)
    total: Figures = field(default_factory=Figures)
    names: dict[int, str] = field(default_factory=dict)


def _where(regions: Sequence[str], first: datetime, last: datetime,
           agency_id: int | None) -> list[ColumnElement[bool]]:
    """Referrals of the regions sent in [first, last), restricted cases and referrals entered in
    error left out. The referral scope is added to each statement as well (the services run as
    the coordinator)."""
    found = [Referral.region_code.in_(list(regions)), Referral.sent_at >= first,
             Referral.sent_at < last, sql.referral_not_sealed(), sql.referral_counted()]
    if agency_id:
        found.append(Referral.receiver_agency_id == agency_id)
    return found


def _names(agency_ids: Iterable[int]) -> dict[int, str]:
    """A statement of its own: a name looked up per group in the aggregate made PostgreSQL
    expect a costly plan and compile it (JIT, ~35 ms)."""
    return dict(db.session.execute(
        select(Agency.id, Agency.name).where(Agency.id.in_(sorted(agency_ids))),
        bind_arguments=replica.reads()).all())


# GROUPING(agency, period, reason, outcome) of each grouping set below: a bit per column left out.
_PER_AGENCY, _PER_PERIOD, _TOTAL, _CODES = 0b0111, 0b1011, 0b1111, 0b0100


def figures_in_database(where: list[ColumnElement[bool]], periods: sql.Periods) -> _Found:
    """PostgreSQL: one statement, GROUP BY GROUPING SETS per agency, per period, in total (counts
    and percentiles) and per agency and coded reason or outcome. No referral row is read here."""
    agency = Referral.receiver_agency_id
    bucket = periods.bucket(Referral.sent_at)
    reason = case((Referral.status == Status.DECLINED.value, Referral.decline_reason))
    outcome = case((Referral.status == Status.COMPLETED.value, Referral.outcome))
    query = (
        select(func.grouping(agency, bucket, reason, outcome), agency, bucket, reason, outcome,
               func.count(), func.count(Referral.accepted_at),
               func.count().filter(Referral.accepted_at <= Referral.deadline_at),
               func.count().filter(Referral.status == Status.COMPLETED.value),
               sql.duration_ranks(Referral.sent_at, Referral.accepted_at),
               func.count(Referral.received_at))
        .where(*where)
        .group_by(func.grouping_sets(tuple_(agency), tuple_(bucket), tuple_(),
                                     tuple_(agency, reason, outcome)))
    )
    found = _Found()
    codes = []
    for level, agency_id, period, *rest in db.session.execute(
            query, bind_arguments=replica.reads()).all():
        code_reason, code_outcome, received, accepted, within, completed, ranks, opened = rest
        if level == _CODES:
            codes.append((agency_id, code_reason, code_outcome, received))
            continue
        median, p90 = sql.hours_from_ranks(ranks)
        figures = Figures(received, accepted, within, completed, median, p90, opened=opened)
        if level == _PER_AGENCY:
            found.agencies[agency_id] = figures
        elif level == _PER_PERIOD:
            found.periods[period] = figures
        elif level == _TOTAL:
            found.total = figures
    for agency_id, code_reason, code_outcome, count in codes:
        for figures in (found.agencies[agency_id], found.total):
            if code_reason:
                figures.declines[code_reason] = figures.declines.get(code_reason, 0) + count
            if code_outcome:
                figures.outcomes[code_outcome] = figures.outcomes.get(code_outcome, 0) + count
    found.names = _names(found.agencies)
    return found


class _Tally:
    """Python: the figures of rows added one by one (hours kept to rank them at the end)."""

    def __init__(self) -> None:
        self.figures = Figures()
        self.hours: list[float] = []

    def add(self, row: Any, *, codes: bool) -> None:
        f = self.figures
        f.received += 1
        if row.received_at is not None:
            f.opened += 1
        if row.accepted_at is not None:
            f.accepted += 1
            self.hours.append(numbers.hours_between(row.sent_at, row.accepted_at))
            if row.accepted_at <= row.deadline_at:
                f.within_deadline += 1
        if row.status == Status.COMPLETED:
            f.completed += 1
        if codes and row.status == Status.DECLINED and row.decline_reason:
            f.declines[row.decline_reason] = f.declines.get(row.decline_reason, 0) + 1
        if codes and row.status == Status.COMPLETED and row.outcome:
            f.outcomes[row.outcome] = f.outcomes.get(row.outcome, 0) + 1

    def done(self) -> Figures:
        self.figures.median_hours = numbers.median(self.hours)
        self.figures.p90_hours = numbers.percentile_nearest_rank(self.hours, 90)
        return self.figures


def figures_in_python(where: list[ColumnElement[bool]], periods: sql.Periods) -> _Found:
    """SQLite (no percentile function): the same figures from the rows, by numbers.py's rules.
    Declines and outcomes are counted per agency and in total (the trend does not show them)."""
    rows = db.session.execute(
        select(Referral.receiver_agency_id, periods.bucket(Referral.sent_at).label("period"),
               Referral.sent_at, Referral.accepted_at, Referral.deadline_at, Referral.status,
               Referral.decline_reason, Referral.outcome, Referral.received_at).where(*where),
        bind_arguments=replica.reads()).all()
    agencies: dict[int, _Tally] = {}
    by_period: dict[int, _Tally] = {}
    total = _Tally()
    for row in rows:
        agencies.setdefault(row.receiver_agency_id, _Tally()).add(row, codes=True)
        by_period.setdefault(row.period, _Tally()).add(row, codes=False)
        total.add(row, codes=True)
    return _Found({a: t.done() for a, t in agencies.items()},
                  {p: t.done() for p, t in by_period.items()}, total.done(), _names(agencies))


def figures_from_months(regions: Sequence[str], start: date, end: date,
                        agency_id: int | None, periods: sql.Periods) -> _Found:
    """PostgreSQL, whole months: the same figures added up from the month rows the database
    keeps (month_rows.py), about a thousand rows for a region's year, and the agencies'
    names, in one statement."""
    return _Found(*month_rows.added_up(regions, start, end, agency_id, periods.starts,
                                          Figures))


@scoped
def agency_performance(actor: Actor, *, start: date, end: date, granularity: str = numbers.MONTH,
                       region_code: str | None = None,
                       agency_id: int | None = None) -> Performance:
    """Per receiving agency and per period, the figures defined in this module's docstring,
    computed at most a few minutes ago (stats.cache)."""
    regions = regions_for(actor, region_code)
    if granularity not in numbers.GRANULARITIES:
        granularity = numbers.MONTH

    def compute() -> Performance:
        first, last = local_bounds(start, end)
        periods = sql.periods(first, last, granularity, display_zone())
        if month_rows.covers(start, end, granularity):
            found = figures_from_months(regions, start, end, agency_id, periods)
        else:
            run = figures_in_database if sql.in_database() else figures_in_python
            found = run(_where(regions, first, last, agency_id), periods)
        agencies = sorted((AgencyFigures(a, found.names.get(a, "?"), f)
                           for a, f in found.agencies.items()),
                          key=lambda a: (-a.figures.received, a.name))
        trend = [PeriodFigures(p, numbers.period_label(p, granularity),
                               found.periods.get(i, Figures()))
                 for i, p in enumerate(periods.starts, start=1)]
        return Performance(regions, start, end, granularity, agencies, found.total, trend)

    result, computed_at = cache.figures(
        "performance", actor, regions, (start, end, granularity, agency_id), compute)
    audit.record("coordination.performance", object_type="region", object_id=",".join(regions),
                 details={"start": start.isoformat(), "end": end.isoformat(),
                          "granularity": granularity})
    return replace(result, computed_at=computed_at)
