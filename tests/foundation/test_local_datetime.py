"""The local_dt filter's fast path writes exactly what flask_babel's format_datetime writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale, format_datetime

from referral.web.templating import format_local_datetime

MOMENTS = [datetime(2026, 1, 1, 0, 0, tzinfo=UTC), datetime(2026, 3, 8, 18, 59, 59, tzinfo=UTC),
           datetime(2026, 12, 31, 23, 30, tzinfo=UTC), datetime(2025, 6, 15, 7, 5),  # naive: UTC
           datetime(2026, 11, 28, 12, 0, tzinfo=UTC) + timedelta(microseconds=999)]


@pytest.mark.parametrize("locale", ["en", "ru", "kk"])
@pytest.mark.parametrize("fmt", ["short", "medium", "long", "full", "yyyy-MM-dd HH:mm"])
def test_the_same_text_as_flask_babel(app, locale, fmt):
    with app.test_request_context(), force_locale(locale):
        for moment in MOMENTS:
            assert format_local_datetime(moment, fmt) == format_datetime(moment, fmt)


def test_the_configured_zone_is_used(app):
    with app.test_request_context(), force_locale("en"):
        shown = format_local_datetime(datetime(2026, 1, 1, 0, 0, tzinfo=UTC), "yyyy-MM-dd HH:mm")
        fast = format_local_datetime(datetime(2026, 1, 1, 0, 0, tzinfo=UTC), "short")
    assert shown == "2026-01-01 05:00"  # Asia/Almaty, UTC+5
    assert "5:00" in fast
