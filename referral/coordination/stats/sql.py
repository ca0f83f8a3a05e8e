"""SQL building blocks for the coordinator's figures: periods, percentiles, restricted cases.

The figures are aggregated by the database: a year of a large region is ~28,000 referrals, and
reading them into Python to count them would take most of a second. PostgreSQL
also ranks the times to accept (``percentile_disc``); SQLite has no percentile function, so there
the durations are read and ranked in Python by the same definitions (numbers.py). Both give the
same numbers on the same data (tested).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Float,
    and_,
    bindparam,
    case,
    func,
    literal,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import INTERVAL, TIMESTAMP

from referral.cases.scope import sealed_case_ids
from referral.coordination.stats import numbers
from referral.extensions import db
from referral.models_base import UTCDateTime
from referral.referrals.lifecycle import UNCOUNTED_STATES
from referral.referrals.models import Referral

# percentile_disc(f) is the value of rank ceil(f × n) (at least 1): 0.5 gives the lower middle
# value and 0.9 the nearest-rank 90th percentile, as numbers.py defines them. UPPER_MIDDLE gives
# rank n/2 + 1 for an even n and (n + 1)/2 for an odd one, i.e. the upper middle value, for any
# n below 500 million (the 1e-9 × n it adds to n/2 stays above the rounding error and below ½).
# One sort gives all three; the median is the mean of the two middle values, as statistics.median.
MEDIAN_LOWER, UPPER_MIDDLE, P90 = 0.5, 0.5 + 1e-9, 0.9


def in_database() -> bool:
    """Whether the database ranks durations itself (PostgreSQL) or Python does (SQLite)."""
    return db.session.get_bind().dialect.name == "postgresql"


@dataclass(frozen=True)
class Periods:
    """Consecutive weeks or months: local first days and the UTC instants they begin."""

    granularity: str
    starts: list[date]
    instants: list[datetime]

    def bucket(self, column: ColumnElement[datetime]) -> ColumnElement[int]:
        """1-based index of the period holding ``column`` (for moments from the first period on).

        PostgreSQL: width_bucket (a binary search per row) instead of converting each moment to
        local time; elsewhere an equivalent CASE.
        """
        if in_database():
            bounds = bindparam("period_bounds", self.instants,
                               type_=ARRAY(TIMESTAMP(timezone=True)))
            return func.width_bucket(column, bounds)
        if len(self.instants) < 2:  # one period (or none: an empty range)
            return literal(len(self.instants))
        return case(*((column < b, i) for i, b in enumerate(self.instants[1:], start=1)),
                    else_=literal(len(self.instants)))

    def start_of(self, index: int) -> date:
        return self.starts[index - 1]


def periods(first: datetime, last: datetime, granularity: str, zone: ZoneInfo) -> Periods:
    """Every period from the one holding ``first`` to the one holding the instant before
    ``last``, so that empty periods show as zero."""
    starts = numbers.periods_between(numbers.period_start(first, granularity, zone),
                                   numbers.period_start(last - timedelta(seconds=1), granularity,
                                                      zone), granularity)
    instants = [datetime.combine(s, time.min, zone).astimezone(UTC) for s in starts]
    return Periods(granularity, starts, instants)


def within(column: ColumnElement[datetime], first: datetime,
           last: datetime) -> ColumnElement[bool]:
    """``first <= column < last``, the bounds written into the statement on PostgreSQL.

    As parameters, the driver's prepared (reused) statement is planned for any range, as if a
    region-year held a hundred incidents: PostgreSQL would then sort thousands of rows to group
    them where it hashes them for the actual year.
    """
    literal = in_database()
    return and_(column >= bindparam(None, first, type_=UTCDateTime(), literal_execute=literal),
                column < bindparam(None, last, type_=UTCDateTime(), literal_execute=literal))


def not_sealed(case_id: ColumnElement[int]) -> ColumnElement[bool]:
    """Restricted cases are left out of every figure, even for a user named on one."""
    return case_id.not_in(sealed_case_ids())


def referral_not_sealed() -> ColumnElement[bool]:
    """``not_sealed`` for referrals, from their copy of the case's flag (migration 0017)."""
    return Referral.case_restricted.is_(False)


def referral_counted() -> ColumnElement[bool]:
    """Referrals entered in error (sent by mistake) count in no figure (migration 0022)."""
    return Referral.status.not_in(sorted(UNCOUNTED_STATES))


def duration_ranks(start: ColumnElement[datetime],
                   end: ColumnElement[datetime]) -> ColumnElement[list[timedelta]]:
    """PostgreSQL: [lower middle, upper middle, 90th percentile] of ``end - start``; NULLs (not
    accepted) are skipped, and a group with none gives NULL."""
    fractions = bindparam("duration_ranks", [MEDIAN_LOWER, UPPER_MIDDLE, P90],
                          type_=ARRAY(Float()))
    ranks = func.percentile_disc(fractions).within_group(end - start)
    return type_coerce(ranks, ARRAY(INTERVAL()))


def hours_from_ranks(ranks: list[timedelta] | None) -> tuple[float | None, float | None]:
    """(median, 90th percentile) in hours, computed as numbers.median/percentile_nearest_rank do."""
    if not ranks:
        return None, None
    lower, upper, p90 = (r.total_seconds() / 3600 for r in ranks)
    return (lower + upper) / 2, p90
