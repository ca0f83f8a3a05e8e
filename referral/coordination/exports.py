"""Statistics export (CSV, XLSX): aggregate counts only, small numbers suppressed, audited.

One long table: measure, region, district, period, dimension, value, count. No names, no IINs,
no free text; any count from 1 to 4 is written "<5"; no totals (a total would let a reader
subtract their way back to a suppressed cell). Runs as the coordinator; restricted cases are
left out explicitly.

Counted by the database (GROUP BY region, district, period and value; a region-year used to be
read row by row, ~60,000 rows). Incidents and referrals take their case's region and district
from the plain cases table: their own scopes (incidents: visible with their case; referrals: the
coordinator's regions) decide what counts, and PostgreSQL can then hash the region's cases from
the index ix_cases_region_created instead of reading 100,000 case rows.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, select

from referral.access.scope import Actor
from referral.agencies.models import District
from referral.audit import service as audit
from referral.cases.models import Case, Incident, Offence
from referral.coordination import sqlstats, stats
from referral.coordination.common import as_actor, display_zone, regions_for
from referral.coordination.performance import local_bounds
from referral.extensions import db
from referral.referrals.models import Referral

HEADER = ("measure", "region", "district", "period", "dimension", "value", "count")
VIOLENCE_TYPES = ("physical", "psychological", "sexual", "economic")
NONE = "none"
FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class ExportRow:
    measure: str
    region: str
    district: str
    period: str
    dimension: str
    value: str
    count: int

    def cells(self) -> list[str]:
        return [_safe(self.measure), _safe(self.region), _safe(self.district), self.period,
                self.dimension, _safe(self.value), stats.suppress(self.count)]


def _safe(text: str) -> str:
    """Neutralise spreadsheet formulas in names entered by people (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Tally:
    """Counts per published key; several groups of a query can fall on one key (e.g. every
    district without a name is "")."""

    def __init__(self, periods: sqlstats.Periods, districts: dict[int, str]) -> None:
        self.labels = {i: stats.period_label(start, periods.granularity)
                       for i, start in enumerate(periods.starts, start=1)}
        self.districts = districts
        self.counts: Counter[tuple[str, ...]] = Counter()

    def add(self, measure: str, region: str, district_id: int | None, period: int,
            dimension: str, value: str | None, count: int) -> None:
        district = self.districts.get(district_id, "") if district_id else ""
        self.counts[(measure, region, district, self.labels[period], dimension,
                     value or NONE)] += count

    def rows(self) -> list[ExportRow]:
        return [ExportRow(*key, count) for key, count in sorted(self.counts.items())]


def _cases(tally: _Tally, regions: list[str], periods: sqlstats.Periods, first: datetime,
           last: datetime) -> None:
    """Cases opened per region, district, period and risk level."""
    keys = (Case.region_code, Case.district_id, periods.bucket(Case.created_at), Case.risk_level)
    rows = db.session.execute(select(*keys, func.count()).where(
        Case.region_code.in_(regions), Case.restricted.is_(False),
        Case.created_at >= first, Case.created_at < last).group_by(*keys)).all()
    for region, district_id, period, risk_level, count in rows:
        tally.add("cases", region, district_id, period, "risk_level", risk_level, count)


def _incidents(tally: _Tally, regions: list[str], periods: sqlstats.Periods, first: datetime,
               last: datetime) -> None:
    """Incidents per violence type and per offence article (one incident can count in several
    violence types)."""
    cases = Case.__table__
    keys = (cases.c.region_code, cases.c.district_id, periods.bucket(Incident.occurred_at),
            Incident.physical, Incident.psychological, Incident.sexual, Incident.economic,
            Offence.code, Offence.article)
    rows = db.session.execute(
        select(*keys, func.count())
        .join(cases, cases.c.id == Incident.case_id)
        .outerjoin(Offence, Offence.id == Incident.offence_id)
        .where(cases.c.region_code.in_(regions), cases.c.restricted.is_(False),
               Incident.occurred_at >= first, Incident.occurred_at < last)
        .group_by(*keys)).all()
    for region, district_id, period, *kinds, code, article, count in rows:
        for kind, present in zip(VIOLENCE_TYPES, kinds, strict=True):
            if present:
                tally.add("incidents", region, district_id, period, "violence_type", kind,
                          count)
        tally.add("incidents", region, district_id, period, "offence_article",
                  f"{code} {article}" if article else None, count)


def _referrals(tally: _Tally, regions: list[str], periods: sqlstats.Periods, first: datetime,
               last: datetime) -> None:
    """Referrals sent per service."""
    cases = Case.__table__
    keys = (Referral.region_code, cases.c.district_id, periods.bucket(Referral.sent_at),
            Referral.service_code)
    rows = db.session.execute(
        select(*keys, func.count())
        .join(cases, and_(cases.c.id == Referral.case_id, cases.c.region_code.in_(regions)))
        .where(Referral.region_code.in_(regions), sqlstats.not_sealed(Referral.case_id),
               Referral.sent_at >= first, Referral.sent_at < last)
        .group_by(*keys)).all()
    for region, district_id, period, service, count in rows:
        tally.add("referrals", region, district_id, period, "service", service, count)


@as_actor
def statistics_rows(actor: Actor, *, start: date, end: date, region_code: str | None = None,
                    granularity: str = stats.MONTH, fmt: str = "csv") -> list[ExportRow]:
    """The aggregate rows of an export; the export itself is audited here."""
    regions = regions_for(actor, region_code)
    if granularity not in stats.GRANULARITIES:
        granularity = stats.MONTH
    first, last = local_bounds(start, end)
    periods = sqlstats.periods(first, last, granularity, display_zone())
    districts = dict(db.session.execute(select(District.id, District.name_en).where(
        District.region_code.in_(regions))).all())
    tally = _Tally(periods, districts)
    for measure in (_cases, _incidents, _referrals):
        measure(tally, regions, periods, first, last)
    rows = tally.rows()
    audit.record("statistics.export", object_type="region", object_id=",".join(regions),
                 details={"format": fmt, "start": start.isoformat(), "end": end.isoformat(),
                          "granularity": granularity, "rows": len(rows)})
    return rows


def stream_csv(rows: list[ExportRow]) -> Iterator[str]:
    """CSV text, a line at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for cells in [list(HEADER), *(row.cells() for row in rows)]:
        writer.writerow(cells)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)


def stream_xlsx(rows: list[ExportRow], *, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """An XLSX workbook written in openpyxl's write-only mode, then sent in chunks."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("statistics")
    sheet.append(list(HEADER))
    for row in rows:
        cells: list[Any] = row.cells()
        if cells[-1] != stats.SUPPRESSED:
            cells[-1] = int(cells[-1])
        sheet.append(cells)
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as handle:
        workbook.save(handle)
        handle.seek(0)
        while data := handle.read(chunk):
            yield data
