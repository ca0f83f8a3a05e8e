"""Figures aggregated in SQL: the same numbers as the rules of numbers.py, on both databases.

PostgreSQL ranks times to accept with percentile_disc; SQLite has none, so Python ranks them
there. These tests hold the two to the same definitions: by arithmetic, and on the same data.
"""

from __future__ import annotations

import itertools
import math
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from referral.access.scope import acting_as
from referral.coordination.local_time import display_zone
from referral.coordination.stats import coverage, export, numbers, sql
from referral.coordination.stats import performance as service
from referral.extensions import db
from referral.referrals.models import Referral
from tests.coordination.factories import make_case, make_referral
from tests.fixtures import actor, make_agency, make_district

H = timedelta(hours=1)
SEALED_DAY = datetime(2025, 12, 20, 6, 0, tzinfo=UTC)  # only the restricted case has referrals


def _disc(values: list[timedelta], fraction: float) -> timedelta:
    """percentile_disc as PostgreSQL computes it: rank ceil(fraction × n), at least 1."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def test_upper_middle_fraction_gives_the_middle_ranks():
    for n in range(1, 200_001):
        assert max(1, math.ceil(sql.UPPER_MIDDLE * n)) == n // 2 + 1 if n % 2 == 0 \
            else (n + 1) // 2
        assert max(1, math.ceil(sql.MEDIAN_LOWER * n)) == (n + 1) // 2
        assert max(1, math.ceil(sql.P90 * n)) == max(1, math.ceil(90 / 100 * n))


def test_ranks_give_the_median_and_nearest_rank_percentile_of_stats():
    rng = random.Random(7)
    for n in [1, 2, 3, 4, 5, 10, 11, 99, 100, 1001]:
        durations = [timedelta(microseconds=rng.randrange(1, 10**11)) for _ in range(n)]
        durations += durations[: n // 3]  # ties
        ranks = [_disc(durations, f)
                 for f in (sql.MEDIAN_LOWER, sql.UPPER_MIDDLE, sql.P90)]
        hours = [d.total_seconds() / 3600 for d in durations]
        assert sql.hours_from_ranks(ranks) == (
            numbers.median(hours), numbers.percentile_nearest_rank(hours, 90))
    assert sql.hours_from_ranks(None) == (None, None)


@pytest.fixture
def busy(world):
    """Three agencies, a few hundred referrals over five months at random times and durations,
    a restricted case on which the coordinator is named, and another region."""
    w = dict(world)
    officer, police = w["officer"], w["police"]
    agencies = [db.session.get(type(police), w["crisis"].agency_id),
                make_agency("crisis_center", "KZ-75", name="Crisis Y"),
                make_agency("family_support", "KZ-75", name="Family Z")]
    district = make_district("KZ-75", "Center")
    rng = random.Random(2026)
    cases = [make_case(police, officer, district=district if i % 2 else None,
                       created_at=datetime(2026, 1 + i % 5, 1 + i, 12, tzinfo=UTC))
             for i in range(12)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(300):
        sent = start + timedelta(seconds=rng.randrange(0, 150 * 86400))
        accepted = None if rng.random() < 0.3 else timedelta(
            microseconds=rng.randrange(1, 72 * 3600 * 10**6))
        if accepted is not None and i % 7 == 0:
            accepted = timedelta(hours=5)  # ties
        status = ("declined" if accepted is None and i % 2 else
                  "completed" if accepted is not None and i % 3 == 0 else
                  "accepted" if accepted is not None else "expired")
        make_referral(rng.choice(cases), officer, rng.choice(agencies), sent_at=sent,
                      status=status, accepted_after=accepted, deadline=24 * H,
                      service=rng.choice(["shelter", "psychological"]),
                      decline_reason=rng.choice(["no_capacity", "out_of_area", "other", None])
                      if status == "declined" else None,
                      outcome=rng.choice(["goals_met", "service_provided", None])
                      if status == "completed" else None)
    sealed = make_case(police, officer, restricted=True, members=(w["coordinator"],))
    make_referral(sealed, officer, agencies[0], sent_at=SEALED_DAY, status="declined",
                  decline_reason="no_capacity")
    make_referral(sealed, officer, agencies[0], sent_at=start + 40 * 24 * H, status="accepted",
                  accepted_after=H)
    other = make_case(w["other_agency"], w["other"])
    make_referral(other, w["other"], w["other_agency"], sent_at=start + 5 * H,
                  status="accepted", accepted_after=H)
    db.session.commit()
    w.update(agencies=agencies, sealed=sealed)
    return w


@pytest.mark.postgres
@pytest.mark.parametrize("granularity", [numbers.MONTH, numbers.WEEK])
def test_sql_and_python_give_the_same_figures(busy, granularity):
    ranges = [(date(2026, 1, 1), date(2026, 5, 20)),  # months or weeks
              (date(2026, 2, 2), date(2026, 2, 7)),  # one week, one month
              (date(2026, 3, 5), date(2026, 3, 4))]  # empty
    with acting_as(actor(busy["coordinator"])):
        for (start, end), agency_id in itertools.product(ranges,
                                                         (None, busy["agencies"][1].id)):
            first, last = service.local_bounds(start, end)
            periods = sql.periods(first, last, granularity, display_zone())
            where = service._where(["KZ-75"], first, last, agency_id)
            in_sql = service.figures_in_database(where, periods)
            in_python = service.figures_in_python(where, periods)
            assert in_sql == in_python
            if start == date(2026, 1, 1):
                assert in_sql.total.received > (250 if agency_id is None else 50)
                assert len(in_sql.periods) > 4 and in_sql.total.median_hours is not None
            elif start < end:
                assert list(in_sql.periods) == [1] and in_sql.total.received > 0


def test_one_period_and_an_empty_range(busy):
    coordinator = actor(busy["coordinator"])
    week = service.agency_performance(coordinator, start=date(2026, 2, 2), end=date(2026, 2, 7),
                                      granularity=numbers.WEEK)
    assert [p.label for p in week.trend] == ["2026-W06"]
    assert week.trend[0].figures.received == week.total.received > 0
    empty = service.agency_performance(coordinator, start=date(2026, 3, 5),
                                       end=date(2026, 3, 4))
    assert (empty.agencies, empty.total.received) == ([], 0)
    assert [p.figures.received for p in empty.trend] == [0]
    assert export.statistics_rows(coordinator, start=date(2026, 3, 5),
                                   end=date(2026, 3, 4)) == []


def test_restricted_cases_stay_out_even_for_a_named_coordinator(busy):
    coordinator = actor(busy["coordinator"])
    with acting_as(coordinator):  # the coordinator does see the restricted case's referrals
        sealed = db.session.execute(select(Referral.id).where(
            Referral.case_id == busy["sealed"].id)).scalars().all()
    assert len(sealed) == 2
    day = SEALED_DAY.date()
    perf = service.agency_performance(coordinator, start=day, end=day)
    assert perf.total.received == 0 and perf.agencies == []
    cov = coverage.district_coverage(coordinator, region_code=None, start=day, end=day)
    assert not any(d.referrals or d.declines for d in cov.districts)
    rows = export.statistics_rows(coordinator, start=day, end=day)
    assert not [r for r in rows if r.measure == "referrals"]


@pytest.mark.parametrize("granularity", [numbers.MONTH, numbers.WEEK])
def test_period_buckets_match_local_period_starts(world, granularity):
    """Referrals a microsecond either side of local midnights at period starts fall in the
    period numbers.period_start gives (width_bucket on PostgreSQL, CASE on SQLite)."""
    w = world
    zone = display_zone()
    case = make_case(w["police"], w["officer"])
    receiver = db.session.get(type(w["police"]), w["crisis"].agency_id)
    first, last = service.local_bounds(date(2026, 1, 7), date(2026, 3, 10))
    periods = sql.periods(first, last, granularity, zone)
    moments = [first, last - timedelta(microseconds=1)]
    for start in periods.starts[1:]:
        midnight = datetime(start.year, start.month, start.day, tzinfo=zone).astimezone(UTC)
        moments += [midnight - timedelta(microseconds=1), midnight]
    for moment in moments:
        make_referral(case, w["officer"], receiver, sent_at=moment)
    db.session.commit()
    with acting_as(actor(w["coordinator"])):
        rows = db.session.execute(select(Referral.sent_at, periods.bucket(Referral.sent_at))
                                  .where(Referral.case_id == case.id)).all()
    assert len(rows) == len(moments)
    for sent_at, index in rows:
        assert periods.start_of(index) == numbers.period_start(sent_at, granularity, zone)
