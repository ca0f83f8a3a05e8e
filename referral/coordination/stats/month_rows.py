"""Agency performance from the month rows kept by the database (migration 0019).

A coordinator's default view, the last twelve months by month, added up from about a thousand
rows (region × month × agency) instead of ranking ten thousand referrals' times to accept for
every first reader.
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
from sqlalchemy.exc import ProgrammingError

from referral import replica
from referral.coordination.local_time import display_zone, local_today
from referral.coordination.stats import numbers, sql
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
        except ProgrammingError:  # not migrated to 0019 (no such function): read the referrals
            known = ""
        current_app.extensions[_ZONE] = known  # a failure of another kind is not remembered
    return known or None


def covers(start: date, end: date, granularity: str) -> bool:
    """Whether the month rows answer this range exactly: whole local months (the last may end
    today: it holds nothing later), by month, on PostgreSQL, counted in the display zone."""
    if granularity != numbers.MONTH or start.day != 1 or end < start:
        return False
    whole = end.day == monthrange(end.year, end.month)[1] or end >= local_today(utcnow())
    return whole and sql.in_database() and counted_zone() == display_zone().key


# The month rows of the range, the coded declines and outcomes per agency (added up there:
# decoding every row's JSON in Python cost more than the rest), and the agencies' names.
_STATEMENT = text("""
WITH f AS (
  SELECT * FROM referral_month_figures
   WHERE region_code = ANY(:regions) AND month >= :first AND month <= :last AND received > 0
     AND (CAST(:agency AS integer) IS NULL OR receiver_agency_id = :agency))
SELECT 0 AS part, f.receiver_agency_id, f.month, f.received, f.accepted, f.within_deadline,
       f.completed, f.opened, f.accept_micros, NULL AS kind, NULL AS code
  FROM f
UNION ALL
SELECT 1, f.receiver_agency_id, NULL, sum(CAST(c.value AS integer)), NULL, NULL, NULL, NULL,
       NULL, c.kind, c.key
  FROM f, LATERAL (SELECT 'declines' AS kind, key, value FROM jsonb_each_text(f.declines)
                   UNION ALL
                   SELECT 'outcomes', key, value FROM jsonb_each_text(f.outcomes)) c
 GROUP BY f.receiver_agency_id, c.kind, c.key
UNION ALL
SELECT 2, a.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, a.name
  FROM agencies a WHERE a.id IN (SELECT receiver_agency_id FROM f)""")

_CODES, _NAMES = 1, 2  # ``part`` of a row; 0: a month row


class _Sum:
    """Month rows added up; the times to accept are ranked once, at the end."""

    __slots__ = ("received", "accepted", "within", "completed", "opened", "micros")

    def __init__(self) -> None:
        self.received = self.accepted = self.within = self.completed = self.opened = 0
        self.micros: list[int] = []

    def add(self, received: int, accepted: int, within: int, completed: int, opened: int,
            micros: list[int]) -> None:
        self.received += received
        self.accepted += accepted
        self.within += within
        self.completed += completed
        self.opened += opened
        self.micros += micros

    def figures(self, figures_type: type) -> Any:
        """The median and 90th percentile by numbers.py's ranks, taken from the sorted
        microseconds (converting to hours keeps the order)."""
        ordered = sorted(self.micros)
        median = p90 = None
        if ordered:
            lower, upper = numbers.middle_positions(len(ordered))
            median = (numbers.hours_from_micros(ordered[lower])
                      + numbers.hours_from_micros(ordered[upper])) / 2
            p90 = numbers.hours_from_micros(ordered[numbers.nearest_rank(len(ordered), 90)])
        return figures_type(self.received, self.accepted, self.within, self.completed,
                            median, p90, opened=self.opened)


def added_up(regions: Sequence[str], start: date, end: date, agency_id: int | None,
             period_starts: Sequence[date], figures_type: type
             ) -> tuple[dict[int, Any], dict[int, Any], Any, dict[int, str]]:
    """(per agency, per period (1-based index of ``period_starts``), total, agency names) for
    the months from ``start``'s to ``end``'s, as performance.figures_in_database gives them:
    coded declines and outcomes per agency and in total only. One statement."""
    index = {day: i for i, day in enumerate(period_starts, start=1)}
    params = {"regions": list(regions), "first": start.replace(day=1),
              "last": end.replace(day=1), "agency": agency_id}
    agencies: dict[int, _Sum] = {}
    periods: dict[int, _Sum] = {}
    total = _Sum()
    codes = []
    names: dict[int, str] = {}
    for (part, agency, month, received, accepted, within, completed, opened, micros, kind,
         code) in db.session.execute(_STATEMENT, params,
                                     bind_arguments=replica.reads()).all():
        if part == _CODES:
            codes.append((agency, kind, code, received))
            continue
        if part == _NAMES:
            names[agency] = code
            continue
        counts = (received, accepted, within, completed, opened, micros)
        found = agencies.get(agency)
        if found is None:
            found = agencies[agency] = _Sum()
        found.add(*counts)
        found = periods.get(index[month])
        if found is None:
            found = periods[index[month]] = _Sum()
        found.add(*counts)
        total.add(*counts)
    by_agency = {a: kept.figures(figures_type) for a, kept in agencies.items()}
    in_total = total.figures(figures_type) if agencies else figures_type()
    for agency, kind, code, count in codes:
        for figures in (by_agency[agency], in_total):
            kept = getattr(figures, kind)
            kept[code] = kept.get(code, 0) + count
    return (by_agency, {p: kept.figures(figures_type) for p, kept in periods.items()}, in_total,
            names)


# Every month row from the referrals as they are, by the triggers' definitions (the same
# statement as migration 0022's, which counts the rows again when migrating).
FILL = """
INSERT INTO referral_month_figures (region_code, month, receiver_agency_id, received, accepted,
    within_deadline, completed, opened, declines, outcomes, accept_micros)
SELECT region_code, m, receiver_agency_id, count(*), count(accepted_at),
       count(*) FILTER (WHERE accepted_at <= deadline_at),
       count(*) FILTER (WHERE status = 'completed'),
       count(received_at),
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
          FROM referrals r WHERE NOT r.case_restricted AND r.sent_at IS NOT NULL
           AND r.status <> 'entered_in_error') r
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
