"""The school-day calendar (referral/data/school_calendar.json): when a school notice is due.

A school must hear of an incident before its next school day starts: the first school day whose
start (08:00 in Asia/Almaty by default) is after the moment the notice is made. Weekends,
public holidays and school breaks are data, so a new year's calendar is a data change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask_babel import get_locale

from referral.paths import PROJECT_ROOT

CALENDAR_FILE = PROJECT_ROOT / "referral" / "data" / "school_calendar.json"
_LOOKAHEAD_DAYS = 370  # more than any break: a calendar with no school day in a year is wrong


@dataclass(frozen=True)
class SchoolCalendar:
    version: str
    zone: ZoneInfo
    starts: time
    weekend: frozenset[int]
    holidays: frozenset[date]
    breaks: tuple[tuple[date, date], ...]
    legal_ground: str
    legal_bases: dict[str, str]

    def is_school_day(self, day: date) -> bool:
        if day.isoweekday() in self.weekend or day in self.holidays:
            return False
        return not any(start <= day <= end for start, end in self.breaks)

    def deadline_after(self, moment: datetime) -> datetime:
        """The start of the first school day after ``moment`` (aware), in UTC."""
        local = moment.astimezone(self.zone)
        day = local.date()
        for _ in range(_LOOKAHEAD_DAYS):
            start = datetime.combine(day, self.starts, tzinfo=self.zone)
            if start > local and self.is_school_day(day):
                return start.astimezone(UTC)
            day += timedelta(days=1)
        raise ValueError("the school calendar has no school day within a year")

    @property
    def legal_basis(self) -> str:
        try:
            lang = str(get_locale() or "en")[:2]
        except (RuntimeError, AttributeError):
            lang = "en"
        return self.legal_bases.get(lang) or self.legal_bases["en"]


@lru_cache(maxsize=1)
def school_calendar() -> SchoolCalendar:
    raw = json.loads(CALENDAR_FILE.read_text(encoding="utf-8"))
    hour, minute = (int(p) for p in raw["deadline"].split(":"))
    return SchoolCalendar(
        version=raw["version"], zone=ZoneInfo(raw["timezone"]), starts=time(hour, minute),
        weekend=frozenset(raw["weekend"]),
        holidays=frozenset(date.fromisoformat(d) for d in raw["holidays"]),
        breaks=tuple((date.fromisoformat(b["from"]), date.fromisoformat(b["to"]))
                     for b in raw["breaks"]),
        legal_ground=raw["legal_ground"],
        legal_bases={lang: raw[f"legal_basis_{lang}"] for lang in ("en", "ru", "kk")})
