"""Pure helpers for the figures: percentiles, rates, periods and small-number suppression.

Kept free of the database so that each rule can be checked by hand in a test.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

SUPPRESSION_THRESHOLD = 5
SUPPRESSED = "<5"


def suppress(count: int) -> str:
    """A count as published: 1 to 4 become "<5" so that no family can be recognised."""
    if 0 < count < SUPPRESSION_THRESHOLD:
        return SUPPRESSED
    return str(count)


def median(values: Sequence[float]) -> float | None:
    """The middle value (mean of the two middle ones for an even count); None when empty."""
    return statistics.median(values) if values else None


def nearest_rank(count: int, pct: float) -> int:
    """The 0-based position of the nearest-rank percentile among ``count`` sorted values."""
    return max(1, math.ceil(pct / 100 * count)) - 1


def middle_positions(count: int) -> tuple[int, int]:
    """The 0-based positions of the two middle values (the same one for an odd count): the
    median is their mean, as statistics.median gives it."""
    return (count - 1) // 2, count // 2


def percentile_nearest_rank(values: Sequence[float], pct: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least pct% of values at or below."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[nearest_rank(len(ordered), pct)]


def hours_from_micros(micros: int) -> float:
    """A duration in microseconds as hours, exactly as ``hours_between`` gives it
    (timedelta.total_seconds() is microseconds / 10**6)."""
    return (micros / 1_000_000) / 3600


def rate(part: int, whole: int) -> float | None:
    """part / whole as a fraction, None when there is nothing to divide by."""
    return part / whole if whole else None


def hours_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


WEEK = "week"
MONTH = "month"
GRANULARITIES = (WEEK, MONTH)


def period_start(moment: datetime, granularity: str, tz: ZoneInfo) -> date:
    """The first local day of the week (Monday) or month holding ``moment``."""
    local = moment.astimezone(tz).date()
    if granularity == WEEK:
        return local - timedelta(days=local.weekday())
    return local.replace(day=1)


def period_label(start: date, granularity: str) -> str:
    if granularity == WEEK:
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{start.year}-{start.month:02d}"


def periods_between(first: date, last: date, granularity: str) -> list[date]:
    """Every period start from ``first`` to ``last`` inclusive, so empty periods show as zero."""
    found = []
    current = first
    while current <= last:
        found.append(current)
        if granularity == WEEK:
            current += timedelta(days=7)
        else:
            current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
    return found
