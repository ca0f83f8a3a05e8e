"""The school deadline: before the next school day starts, weekends and holidays as data."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from referral.schools.calendar import school_calendar

ALMATY = ZoneInfo("Asia/Almaty")


def _deadline(*parts: int) -> datetime:
    return school_calendar().deadline_after(datetime(*parts, tzinfo=ALMATY)).astimezone(ALMATY)


def test_a_friday_evening_incident_is_due_on_monday_at_eight():
    assert _deadline(2026, 12, 4, 19, 30) == datetime(2026, 12, 7, 8, 0, tzinfo=ALMATY)


def test_a_holiday_moves_the_deadline_to_the_next_school_day():
    # 16 December (Independence Day) is a Wednesday in 2026: Tuesday evening -> Thursday.
    assert _deadline(2026, 12, 15, 21, 0) == datetime(2026, 12, 17, 8, 0, tzinfo=ALMATY)
    assert _deadline(2026, 12, 14, 21, 0) == datetime(2026, 12, 15, 8, 0, tzinfo=ALMATY)


def test_before_eight_the_same_day_counts_and_breaks_are_skipped():
    assert _deadline(2026, 12, 7, 2, 0) == datetime(2026, 12, 7, 8, 0, tzinfo=ALMATY)
    assert _deadline(2026, 12, 7, 8, 0) == datetime(2026, 12, 8, 8, 0, tzinfo=ALMATY)
    # the winter break, then 8 January 2027 is its last day: Monday 11 January
    assert _deadline(2026, 12, 30, 18, 0) == datetime(2027, 1, 11, 8, 0, tzinfo=ALMATY)


def test_the_calendar_is_data_with_a_version_and_a_legal_basis_per_language():
    calendar = school_calendar()
    assert calendar.version and calendar.legal_ground == "child_at_risk"
    assert all(calendar.legal_bases[lang] for lang in ("en", "ru", "kk"))
