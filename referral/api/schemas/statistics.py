"""Statistics of the API: the aggregate counts of the statistics export, small ones suppressed."""

from __future__ import annotations

import enum
from datetime import date

from pydantic import BaseModel, Field

from referral.coordination.stats import numbers

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
Granularity = enum.StrEnum("Granularity", {g: g for g in numbers.GRANULARITIES})


class StatisticsQuery(BaseModel):
    start: date | None = Field(None, ge=FIRST_DAY, le=LAST_DAY,
                               description="First local day; absent: 12 months ago.")
    end: date | None = Field(None, ge=FIRST_DAY, le=LAST_DAY,
                             description="Last local day; absent: today.")
    region: str | None = Field(None, description="One of the caller's regions (ISO 3166-2); "
                                                 "absent: all of them.")
    granularity: Granularity = Granularity.month


class StatisticsRow(BaseModel):
    """One group of the long table (no names, no IINs, no free text)."""

    measure: str
    region: str
    district: str
    period: str
    dimension: str
    value: str
    count: int | None = Field(description="Absent (null) when suppressed.")
    suppressed: bool = Field(description="A count from 1 to the threshold less one, withheld "
                                         "so that no family can be recognised.")


class Statistics(BaseModel):
    """As the statistics export: counts only, no totals (a total would let a reader subtract
    back to a suppressed cell)."""

    start: date
    end: date
    granularity: str
    regions: list[str]
    suppression_threshold: int
    rows: list[StatisticsRow]
