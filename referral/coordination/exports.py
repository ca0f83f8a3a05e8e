"""Statistics export (CSV, XLSX): aggregate counts only, small numbers suppressed, audited.

One long table: measure, region, district, period, dimension, value, count. No names, no IINs,
no free text; any count from 1 to 4 is written "<5"; no totals (a total would let a reader
subtract their way back to a suppressed cell). Runs as the coordinator; restricted cases are
left out explicitly.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from referral.access.scope import Actor
from referral.agencies.models import District
from referral.audit import service as audit
from referral.cases.models import Case, Incident, Offence
from referral.coordination import stats
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
    def __init__(self, granularity: str, districts: dict[int, str]) -> None:
        self.granularity = granularity
        self.districts = districts
        self.zone = display_zone()
        self.counts: Counter[tuple[str, ...]] = Counter()

    def add(self, measure: str, region: str, district_id: int | None, moment: Any,
            dimension: str, value: str | None) -> None:
        period = stats.period_label(stats.period_start(moment, self.granularity, self.zone),
                                    self.granularity)
        district = self.districts.get(district_id, "") if district_id else ""
        self.counts[(measure, region, district, period, dimension, value or NONE)] += 1

    def rows(self) -> list[ExportRow]:
        return [ExportRow(*key, count) for key, count in sorted(self.counts.items())]


def _cases(tally: _Tally, regions: list[str], first: Any, last: Any) -> None:
    rows = db.session.execute(select(Case.region_code, Case.district_id, Case.created_at,
                                     Case.risk_level).where(
        Case.region_code.in_(regions), Case.restricted.is_(False),
        Case.created_at >= first, Case.created_at < last)).all()
    for r in rows:
        tally.add("cases", r.region_code, r.district_id, r.created_at, "risk_level", r.risk_level)


def _incidents(tally: _Tally, regions: list[str], first: Any, last: Any) -> None:
    rows = db.session.execute(
        select(Case.region_code, Case.district_id, Incident.occurred_at, Incident.physical,
               Incident.psychological, Incident.sexual, Incident.economic, Offence.code,
               Offence.article)
        .join(Case, Case.id == Incident.case_id)
        .outerjoin(Offence, Offence.id == Incident.offence_id)
        .where(Case.region_code.in_(regions), Case.restricted.is_(False),
               Incident.occurred_at >= first, Incident.occurred_at < last)).all()
    for r in rows:
        for kind in VIOLENCE_TYPES:
            if getattr(r, kind):
                tally.add("incidents", r.region_code, r.district_id, r.occurred_at,
                          "violence_type", kind)
        article = f"{r.code} {r.article}" if r.article else None
        tally.add("incidents", r.region_code, r.district_id, r.occurred_at, "offence_article",
                  article)


def _referrals(tally: _Tally, regions: list[str], first: Any, last: Any) -> None:
    rows = db.session.execute(
        select(Referral.region_code, Case.district_id, Referral.sent_at, Referral.service_code)
        .join(Case, Case.id == Referral.case_id)
        .where(Referral.region_code.in_(regions), Case.restricted.is_(False),
               Referral.sent_at >= first, Referral.sent_at < last)).all()
    for r in rows:
        tally.add("referrals", r.region_code, r.district_id, r.sent_at, "service",
                  r.service_code)


@as_actor
def statistics_rows(actor: Actor, *, start: date, end: date, region_code: str | None = None,
                    granularity: str = stats.MONTH, fmt: str = "csv") -> list[ExportRow]:
    """The aggregate rows of an export; the export itself is audited here."""
    regions = regions_for(actor, region_code)
    if granularity not in stats.GRANULARITIES:
        granularity = stats.MONTH
    first, last = local_bounds(start, end)
    districts = dict(db.session.execute(select(District.id, District.name_en).where(
        District.region_code.in_(regions))).all())
    tally = _Tally(granularity, districts)
    _cases(tally, regions, first, last)
    _incidents(tally, regions, first, last)
    _referrals(tally, regions, first, last)
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
