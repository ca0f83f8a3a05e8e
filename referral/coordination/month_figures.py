"""Agency performance from the month rows kept by the database (migration 0019).

A coordinator's default view, the last twelve months by month, added up from about a thousand
rows (region × month × agency) instead of ranking ten thousand referrals' times to accept:
30 ms of the database's time for every first reader before (docs/performance.md, fix 60).
Used on PostgreSQL for whole local months in the zone the rows were counted in; weeks, ranges
that cut a month, SQLite and a database counted in another zone read the referrals instead.
Both give the same figures (tests/coordination/test_month_figures.py).
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import text

from referral.coordination import sqlstats, stats
from referral.coordination.common import display_zone, local_today
from referral.extensions import db
from referral.models_base import utcnow

_ZONE = "referral_month_figures_zone"  # app.extensions: the zone the rows were counted in


def counted_zone() -> str | None:
    """The zone of the month rows (``referral_figures_zone()``), read once per process: it
    changes only with ``flask coordination rebuild-figures``, after a change of the display
    zone, which needs a restart anyway."""
    known = current_app.extensions.get(_ZONE)
    if known is None:
        try:
            with db.engine.connect() as conn:
                known = conn.execute(text("SELECT referral_figures_zone()")).scalar_one()
        except Exception:  # noqa: BLE001 - not migrated to 0019: read the referrals
            known = ""
        current_app.extensions[_ZONE] = known
    return known or None


def covers(start: date, end: date, granularity: str) -> bool:
    """Whether the month rows answer this range exactly: whole local months (the last may end
    today: it holds nothing later), by month, on PostgreSQL, counted in the display zone."""
    if granularity != stats.MONTH or start.day != 1 or end < start:
        return False
    whole = end.day == monthrange(end.year, end.month)[1] or end >= local_today(utcnow())
    return whole and sqlstats.in_database() and counted_zone() == display_zone().key


# Counts and ranked times per agency, per month and in total (grouping sets over the month
# rows, each time to accept unnested once), then the coded declines and outcomes per agency.
# The same definitions as performance.figures_in_database; times in microseconds.
_STATEMENT = text("""
SELECT grouping(f.receiver_agency_id, f.month) AS level, f.receiver_agency_id, f.month,
       sum(f.received) FILTER (WHERE u.n IS NULL OR u.n = 1),
       sum(f.accepted) FILTER (WHERE u.n IS NULL OR u.n = 1),
       sum(f.within_deadline) FILTER (WHERE u.n IS NULL OR u.n = 1),
       sum(f.completed) FILTER (WHERE u.n IS NULL OR u.n = 1),
       percentile_disc(CAST(:fractions AS float8[])) WITHIN GROUP (ORDER BY u.us),
       NULL AS kind, NULL AS code
  FROM referral_month_figures f
  LEFT JOIN LATERAL unnest(f.accept_micros) WITH ORDINALITY AS u(us, n) ON true
 WHERE f.region_code = ANY(:regions) AND f.month >= :first AND f.month <= :last
   AND f.received > 0 AND (CAST(:agency AS integer) IS NULL OR f.receiver_agency_id = :agency)
 GROUP BY GROUPING SETS ((f.receiver_agency_id), (f.month), ())
UNION ALL
SELECT 4, f.receiver_agency_id, NULL, sum(CAST(c.value AS integer)), NULL, NULL, NULL, NULL,
       c.kind, c.key
  FROM referral_month_figures f,
       LATERAL (SELECT 'declines' AS kind, key, value FROM jsonb_each_text(f.declines)
                UNION ALL
                SELECT 'outcomes', key, value FROM jsonb_each_text(f.outcomes)) c
 WHERE f.region_code = ANY(:regions) AND f.month >= :first AND f.month <= :last
   AND f.received > 0 AND (CAST(:agency AS integer) IS NULL OR f.receiver_agency_id = :agency)
 GROUP BY f.receiver_agency_id, c.kind, c.key""")

_PER_AGENCY, _PER_MONTH, _TOTAL, _CODES = 0b01, 0b10, 0b11, 4


def _hours(ranks: list[int] | None) -> tuple[float | None, float | None]:
    """(median, 90th percentile) in hours from [lower middle, upper middle, p90] in
    microseconds, as timedelta.total_seconds() / 3600 gives them (sqlstats.hours_from_ranks)."""
    if not ranks:
        return None, None
    lower, upper, p90 = ((us / 1_000_000) / 3600 for us in ranks)
    return (lower + upper) / 2, p90


def added_up(regions: Sequence[str], start: date, end: date, agency_id: int | None,
             period_starts: Sequence[date], figures_type: type
             ) -> tuple[dict[int, Any], dict[int, Any], Any]:
    """(per agency, per period (1-based index of ``period_starts``), total) for the months
    from ``start``'s to ``end``'s, as performance.figures_in_database gives them: coded
    declines and outcomes per agency and in total only. One statement."""
    index = {day: i for i, day in enumerate(period_starts, start=1)}
    params = {"regions": list(regions), "first": start.replace(day=1),
              "last": end.replace(day=1), "agency": agency_id,
              "fractions": [sqlstats.MEDIAN_LOWER, sqlstats.UPPER_MIDDLE, sqlstats.P90]}
    agencies: dict[int, Any] = {}
    periods: dict[int, Any] = {}
    total = figures_type()
    codes = []
    for level, agency, month, received, accepted, within, completed, ranks, kind, code in (
            db.session.execute(_STATEMENT, params).all()):
        if level == _CODES:
            codes.append((agency, kind, code, received))
            continue
        figures = figures_type(received or 0, accepted or 0, within or 0, completed or 0,
                               *_hours(ranks))
        if level == _PER_AGENCY:
            agencies[agency] = figures
        elif level == _PER_MONTH:
            periods[index[month]] = figures
        elif level == _TOTAL:
            total = figures
    for agency, kind, code, count in codes:
        for figures in (agencies[agency], total):
            kept = getattr(figures, kind)
            kept[code] = kept.get(code, 0) + count
    return agencies, periods, total


# Every month row from the referrals as they are, by the triggers' definitions (the same
# statement as migration 0019's, which fills the rows when migrating).
FILL = """
INSERT INTO referral_month_figures (region_code, month, receiver_agency_id, received, accepted,
    within_deadline, completed, declines, outcomes, accept_micros)
SELECT region_code, m, receiver_agency_id, count(*), count(accepted_at),
       count(*) FILTER (WHERE accepted_at <= deadline_at),
       count(*) FILTER (WHERE status = 'completed'),
       coalesce((SELECT jsonb_object_agg(code, n) FROM (SELECT code, count(*) AS n
                 FROM unnest(array_agg(decline_reason) FILTER (WHERE status = 'declined'
                 AND decline_reason IS NOT NULL)) AS code GROUP BY code) d), '{}'::jsonb),
       coalesce((SELECT jsonb_object_agg(code, n) FROM (SELECT code, count(*) AS n
                 FROM unnest(array_agg(outcome) FILTER (WHERE status = 'completed'
                 AND outcome IS NOT NULL)) AS code GROUP BY code) o), '{}'::jsonb),
       coalesce(array_agg((extract(epoch FROM accepted_at - sent_at) * 1000000)::bigint)
                FILTER (WHERE accepted_at IS NOT NULL), '{}'::bigint[])
  FROM (SELECT r.*, date_trunc('month', r.sent_at AT TIME ZONE referral_figures_zone())::date
               AS m
          FROM referrals r WHERE NOT r.case_restricted AND r.sent_at IS NOT NULL) r
 GROUP BY region_code, m, receiver_agency_id"""


def _zone_name(zone: str) -> str:
    """A zone both Python and PostgreSQL know, safe to write into the function's body."""
    if not zone or not all(c.isalnum() or c in "/_+-" for c in zone):
        raise ValueError(f"unexpected time zone name {zone!r}")
    ZoneInfo(zone)  # raises for an unknown name
    return zone


def rebuild(zone: str) -> int:
    """Count every month row again, in ``zone`` (after a change of the display zone, or after
    a bulk load with triggers off): one transaction, writers of referrals wait for it.
    Returns the rows written; the caller commits."""
    session = db.session()
    session.execute(text("LOCK TABLE referral_month_figures IN SHARE ROW EXCLUSIVE MODE"))
    session.execute(text("CREATE OR REPLACE FUNCTION referral_figures_zone() RETURNS text "
                         f"LANGUAGE sql IMMUTABLE AS $$ SELECT '{_zone_name(zone)}'::text $$"))
    session.execute(text("DELETE FROM referral_month_figures"))
    written = session.execute(text(FILL)).rowcount
    current_app.extensions.pop(_ZONE, None)
    return written
