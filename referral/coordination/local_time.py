"""Local days: conference actions fall due, and figures are grouped, by the display zone's days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def display_zone() -> ZoneInfo:
    """The configured display zone (Asia/Almaty outside an application)."""
    name = "Asia/Almaty"
    if has_app_context():
        name = current_app.config.get("DISPLAY_TIMEZONE", name)
    return ZoneInfo(name)


def local_today(now: datetime) -> date:
    """The local calendar day holding ``now``."""
    return now.astimezone(display_zone()).date()


def local_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """UTC instants of the local start of ``start`` and the local end of ``end``."""
    zone = display_zone()
    first = datetime.combine(start, time.min, zone).astimezone(UTC)
    last = datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(UTC)
    return first, last
