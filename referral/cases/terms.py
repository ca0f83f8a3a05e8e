"""Terms of measures as the law states them: so many days, or so many calendar months.

The law gives court special requirements as "3 months to 1 year", not as a number of days: counting
days (90-366) refused a court's 1 February-30 April (89 days), which is exactly three months.

The rule, for a measure whose first day in force is ``start`` (the start day counts, as the existing
"a 30-day order issued on the 1st runs to the 30th"):

- a term of N **days** ends on ``start + N - 1 days``;
- a term of N **calendar months** ends on the day before the same day of the month N months later
  (1 Feb + 3 months -> 30 Apr; 10 Jan + 12 months -> 9 Jan); when that later month has no such day,
  it ends on that month's last day (31 Jan + 1 month -> 28 or 29 Feb; 30 Nov + 3 months -> 28 or
  29 Feb; 29 Feb 2024 + 12 months -> 28 Feb 2025). This follows the Civil Code's "a term in months
  expires on the corresponding day of the last month, or on its last day when there is no such day",
  read with the start day counted in.

A measure lasts "at least" a term when its end date is on or after that term's last day, and
"at most" a term when its end date is on or before it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from flask_babel import ngettext

Unit = Literal["days", "months"]


def add_months(day: date, months: int) -> tuple[int, int]:
    """(year, month) that is `months` calendar months after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


@dataclass(frozen=True)
class Term:
    """A length of time in days or calendar months (as a law or court states it)."""

    count: int
    unit: Unit

    @classmethod
    def parse(cls, raw: dict[str, Any] | None) -> Term | None:
        """`{"days": 30}` or `{"months": 3}` from the data file; None stays None (no limit)."""
        if raw is None:
            return None
        if len(raw) != 1 or next(iter(raw)) not in ("days", "months"):
            raise ValueError(f"a term is {{'days': n}} or {{'months': n}}, not {raw!r}")
        unit, count = next(iter(raw.items()))
        if not isinstance(count, int) or count < 1:
            raise ValueError(f"a term needs a positive whole number, not {raw!r}")
        return cls(count=count, unit=unit)

    def last_day(self, start: date) -> date:
        """The last day in force of a measure of this term whose first day is `start`."""
        if self.unit == "days":
            return start + timedelta(days=self.count - 1)
        year, month = add_months(start, self.count)
        days_in_month = calendar.monthrange(year, month)[1]
        if start.day > days_in_month:
            return date(year, month, days_in_month)
        return date(year, month, start.day) - timedelta(days=1)

    def label(self) -> str:
        """"30 days", "3 months" in the current language."""
        if self.unit == "days":
            return ngettext("%(num)d day", "%(num)d days", self.count)
        return ngettext("%(num)d month", "%(num)d months", self.count)

    def at_least(self) -> str:
        """"at least 3 months": its own message, since Russian puts the noun in the genitive."""
        if self.unit == "days":
            return ngettext("at least %(num)d day", "at least %(num)d days", self.count)
        return ngettext("at least %(num)d month", "at least %(num)d months", self.count)

    def at_most(self) -> str:
        """"at most 12 months" (see `at_least`)."""
        if self.unit == "days":
            return ngettext("at most %(num)d day", "at most %(num)d days", self.count)
        return ngettext("at most %(num)d month", "at most %(num)d months", self.count)
