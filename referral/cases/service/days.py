"""Days as the users live them: in the display time zone (``DISPLAY_TIMEZONE``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("DISPLAY_TIMEZONE", "Asia/Almaty"))


def local_today() -> date:
    return datetime.now(UTC).astimezone(_zone()).date()


def local_date(moment: datetime) -> date:
    return moment.astimezone(_zone()).date()


def local_day_start(day: date) -> datetime:
    return datetime.combine(day, time(), _zone()).astimezone(UTC)
