"""Statistics export (CSV, XLSX): aggregate counts only, small numbers suppressed, audited.

One long table: measure, region, district, period, dimension, value, count. No names, no IINs,
no free text; any count from 1 to 4 is written "<5"; no totals (a total would let a reader
subtract their way back to a suppressed cell). Runs as the coordinator; restricted cases are
left out explicitly.

Counted by the database (GROUP BY region, district, period and value): a region-year is some
60,000 rows, too many to read. Incidents and referrals are counted by the copy of their case's
region and district they carry (migrations 0007, 0013), so each measure is one index range with
no case read (joining the cases would hash the region's cases for the district); their own
scopes (incidents: visible with their case; referrals: the coordinator's regions) decide what
counts.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select

from referral.access import scoped
from referral.access.scope import Actor
from referral.agencies.models import District
from referral.audit import service as audit
from referral.cases.models import Case, Incident, Offence
from referral.coordination.coordinators import regions_for
from referral.coordination.local_time import display_zone, local_bounds
from referral.coordination.stats import cache, numbers, sql
from referral.extensions import db
from referral.referrals.models import Referral

HEADER = ("measure", "region", "district", "period", "dimension", "value", "count")
VIOLENCE_TYPES = ("physical", "psychological", "sexual", "economic")
NONE = "none"
FORMATS = ("csv", "xlsx")
# Exports up to this many rows are kept a few minutes (a region-year by month is ~3,000, well
# under a megabyte); a larger one, years of weeks for many regions, is computed each time.
KEPT_ROWS = 20_000


class ExportRow(NamedTuple):
    """One published group of the long table (a tuple: an export builds and sorts thousands)."""

    measure: str
    region: str
    district: str
    period: str
    dimension: str
    value: str
    count: int

    def cells(self) -> list[str]:
        measure, region, district, period, dimension, value, count = self
        return [_safe(measure), _safe(region), _safe(district), period, dimension, _safe(value),
                numbers.suppress(count)]


_FORMULA_STARTS = frozenset(("=", "+", "-", "@", "\t", "\r"))


def _safe(text: str) -> str:
    """Neutralise spreadsheet formulas in names entered by people (CSV injection)."""
    return "'" + text if text[:1] in _FORMULA_STARTS else text


Group = tuple[str, int | None, int, str | None, int]  # region, district id, period, value, count


class _Tally:
    """Counts per published key; several groups of a query can fall on one key (e.g. every
    district without a name is "")."""

    def __init__(self, periods: sql.Periods, districts: dict[int, str]) -> None:
        self.labels = {i: numbers.period_label(start, periods.granularity)
                       for i, start in enumerate(periods.starts, start=1)}
        self.districts = districts
        self.counts: dict[tuple[str, ...], int] = {}

    def add(self, measure: str, dimension: str, groups: Iterable[Group]) -> None:
        """Add a query's groups of one measure and dimension (a loop of its own: a region-year
        is some thousands of groups)."""
        counts, names, labels = self.counts, self.districts, self.labels
        for region, district_id, period, value, count in groups:
            key = (measure, region, names.get(district_id, "") if district_id else "",
                   labels[period], dimension, value or NONE)
            counts[key] = counts.get(key, 0) + count

    def rows(self) -> list[ExportRow]:
        """In key order. Sorted by the key's fields joined with NUL (same order: no field holds
        one): comparing thousands of tuples with long equal prefixes took several ms."""
        ordered = sorted(self.counts.items(), key=lambda item: "\0".join(item[0]))
        return [ExportRow(*key, count) for key, count in ordered]


def _cases(tally: _Tally, regions: list[str], periods: sql.Periods, first: datetime,
           last: datetime) -> None:
    """Cases opened per region, district, period and risk level."""
    keys = (Case.region_code, Case.district_id, periods.bucket(Case.created_at), Case.risk_level)
    rows = db.session.execute(select(*keys, func.count()).where(
        Case.region_code.in_(regions), Case.restricted.is_(False),
        sql.within(Case.created_at, first, last)).group_by(*keys)).all()
    tally.add("cases", "risk_level", rows)


def _incidents(tally: _Tally, regions: list[str], periods: sql.Periods, first: datetime,
               last: datetime) -> None:
    """Incidents per violence type and per offence article (one incident can count in several
    violence types).

    From the incidents' copy of their case's region and district (index
    ix_incidents_region_occurred): no case is read. Grouped by offence, with a count per
    violence type beside the total; offence labels are joined to the groups, not to each row.
    """
    keys = (Incident.region_code, Incident.district_id, periods.bucket(Incident.occurred_at),
            Incident.offence_id)
    kinds = [func.count().filter(getattr(Incident, kind)) for kind in VIOLENCE_TYPES]
    groups = (
        select(*keys, func.count().label("n"), *kinds)
        .where(Incident.region_code.in_(regions), sql.not_sealed(Incident.case_id),
               sql.within(Incident.occurred_at, first, last))
        .group_by(*keys)).subquery()
    rows = db.session.execute(
        select(groups, Offence.code, Offence.article)
        .outerjoin(Offence, Offence.id == groups.c.offence_id)).all()
    for i, kind in enumerate(VIOLENCE_TYPES, start=5):
        tally.add("incidents", "violence_type",
                  ((r[0], r[1], r[2], kind, r[i]) for r in rows if r[i]))
    tally.add("incidents", "offence_article",
              ((r[0], r[1], r[2], f"{r[9]} {r[10]}" if r[10] else None, r[4]) for r in rows))


def _referrals(tally: _Tally, regions: list[str], periods: sql.Periods, first: datetime,
               last: datetime) -> None:
    """Referrals sent per service, from their copy of their case's region and district (index
    ix_referrals_region_sent)."""
    keys = (Referral.region_code, Referral.district_id, periods.bucket(Referral.sent_at),
            Referral.service_code)
    rows = db.session.execute(
        select(*keys, func.count())
        .where(Referral.region_code.in_(regions), sql.referral_not_sealed(),
               sql.referral_counted(), sql.within(Referral.sent_at, first, last))
        .group_by(*keys)).all()
    tally.add("referrals", "service", rows)


@scoped
def statistics_rows(actor: Actor, *, start: date, end: date, region_code: str | None = None,
                    granularity: str = numbers.MONTH, fmt: str = "csv") -> list[ExportRow]:
    """The aggregate rows of an export, computed at most a few minutes ago (stats.cache); the
    export itself is audited here. The list is shared: callers only read it."""
    regions = regions_for(actor, region_code)
    if granularity not in numbers.GRANULARITIES:
        granularity = numbers.MONTH

    def compute() -> list[ExportRow]:
        first, last = local_bounds(start, end)
        periods = sql.periods(first, last, granularity, display_zone())
        districts = dict(db.session.execute(select(District.id, District.name_en).where(
            District.region_code.in_(regions))).all())
        tally = _Tally(periods, districts)
        for measure in (_cases, _incidents, _referrals):
            measure(tally, regions, periods, first, last)
        return tally.rows()

    rows, _computed_at = cache.figures("statistics", actor, regions,
                                               (start, end, granularity), compute,
                                               keep=lambda found: len(found) <= KEPT_ROWS)
    audit.record("statistics.export", object_type="region", object_id=",".join(regions),
                 details={"format": fmt, "start": start.isoformat(), "end": end.isoformat(),
                          "granularity": granularity, "rows": len(rows)})
    return rows


class _CsvFields:
    """CSV text of each distinct field, quoted by the csv module once: an export is thousands of
    lines over a few hundred distinct names, and csv.writer per line would be most of its
    Python time. A line equals csv.writer's line of ``row.cells()`` (tested)."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer)
        self.safe: dict[str, str] = {}
        self.plain: dict[str, str] = {}

    def _quote(self, text: str) -> str:
        if not text:
            return ""  # csv.writer quotes an empty field only when it is the whole line
        self.buffer.seek(0)
        self.buffer.truncate(0)
        self.writer.writerow([text])
        return self.buffer.getvalue()[:-2]  # without the "\r\n"

    def line(self, row: ExportRow) -> str:
        measure, region, district, period, dimension, value, count = row
        safe, plain = self.safe, self.plain
        try:
            return (f"{safe[measure]},{safe[region]},{safe[district]},{plain[period]},"
                    f"{plain[dimension]},{safe[value]},{numbers.suppress(count)}\r\n")
        except KeyError:  # a field not seen yet in this export
            for text in (measure, region, district, value):
                safe.setdefault(text, self._quote(_safe(text)))
            for text in (period, dimension):
                plain.setdefault(text, self._quote(text))
            return self.line(row)


def stream_csv(rows: list[ExportRow], *, block: int = 1000) -> Iterator[str]:
    """CSV text in blocks of lines: a line at a time would be a few thousand chunks for the
    server (and the WSGI stack) to pass on for one export."""
    fields = _CsvFields()
    yield ",".join(HEADER) + "\r\n"
    for start in range(0, len(rows), block):
        yield "".join([fields.line(row) for row in rows[start:start + block]])


def stream_xlsx(rows: list[ExportRow], *, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """An XLSX workbook written in openpyxl's write-only mode, then sent in chunks."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("statistics")
    sheet.append(list(HEADER))
    for row in rows:
        cells: list[Any] = row.cells()
        if cells[-1] != numbers.SUPPRESSED:
            cells[-1] = int(cells[-1])
        sheet.append(cells)
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as handle:
        workbook.save(handle)
        handle.seek(0)
        while data := handle.read(chunk):
            yield data
