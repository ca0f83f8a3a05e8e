"""Time zones come from the pinned tzdata package, not the system (issue 19 §5): an image with
old system data would show Kazakhstan's times an hour off since 1 March 2024."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta
from importlib import metadata

import pytest


def test_the_app_reads_zones_from_the_tzdata_package(app):
    assert zoneinfo.TZPATH == ()  # no system directory is consulted
    assert metadata.version("tzdata") >= "2024.1"


@pytest.mark.parametrize("zone", ["Asia/Almaty", "Asia/Qostanay", "Asia/Aqtobe"])
def test_kazakhstan_is_utc_plus_5_since_march_2024(app, zone):
    here = zoneinfo.ZoneInfo(zone)
    assert datetime(2024, 6, 1, tzinfo=UTC).astimezone(here).utcoffset() == timedelta(hours=5)
    if zone == "Asia/Almaty":  # it was UTC+6 before
        assert datetime(2024, 1, 15, tzinfo=UTC).astimezone(here).utcoffset() == timedelta(
            hours=6)
