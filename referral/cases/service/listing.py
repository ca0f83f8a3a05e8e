"""Finding cases: the filtered, paged case list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import joinedload

from referral.access import scoped
from referral.access.permissions import Permission, role_can
from referral.access.scope import Actor, acting_as
from referral.audit import service as audit
from referral.cases.models import Case
from referral.cases.service.days import local_day_start
from referral.extensions import db

PAGE_SIZE = 25



@dataclass(frozen=True)
class CaseFilters:
    status: str = ""
    risk: str = ""
    region: str = ""
    district_id: int | None = None
    agency_id: int | None = None
    repeat: bool = False
    opened_from: date | None = None
    opened_to: date | None = None
    sort: str = "newest"


SORTS = ("newest", "oldest", "risk", "reference")


def _ordering(sort: str) -> tuple[Any, ...]:
    """The list's order for ``sort`` (newest first when unknown); ids break ties."""
    if sort == "oldest":
        return Case.created_at.asc(), Case.id.asc()
    if sort == "risk":
        return Case.high_risk_flagged_at.desc().nulls_last(), Case.created_at.desc(), Case.id.desc()
    if sort == "reference":
        return (Case.reference.asc(),)
    return Case.created_at.desc(), Case.id.desc()


def _filtered(filters: CaseFilters) -> Select:
    query = select(Case)
    if filters.status:
        query = query.where(Case.status == filters.status)
    if filters.risk:
        query = query.where(Case.risk_level == filters.risk)
    if filters.region:
        query = query.where(Case.region_code == filters.region)
    if filters.district_id:
        query = query.where(Case.district_id == filters.district_id)
    if filters.agency_id:
        query = query.where(Case.owner_agency_id == filters.agency_id)
    if filters.repeat:
        query = query.where(Case.is_repeat.is_(True))
    if filters.opened_from:
        query = query.where(Case.created_at >= local_day_start(filters.opened_from))
    if filters.opened_to:
        query = query.where(
            Case.created_at < local_day_start(filters.opened_to + timedelta(days=1)))
    return query


@dataclass
class CasePage:
    cases: list[Case]
    total: int  # exact, or the cap when ``more`` (there are more than that)
    page: int
    pages: int  # known only when the total is exact; otherwise the pages up to ``page``
    more: bool = False
    has_next: bool = False


def count_cap() -> int:
    return int(current_app.config.get("CASE_LIST_COUNT_CAP", 1000))


def _page_statement(query: Select, sort: str, *, offset: int, page_size: int,
                    window: int) -> Select:
    """One statement for a page of the list and its capped count.

    ``capped``: the first ``window`` cases in the list's order, numbered; ``kept``: how many
    that is (the count, up to the window). The page is the rows of ``capped`` from ``offset``
    (moved back to the last page when it is past the end) plus one, to know whether a next page
    follows; their agencies, districts and regions are joined to those rows only. One row
    with no case comes back when nothing matches, so the count is always read.

    One statement, not a count and then the page, because each reads the officer's whole scope;
    and the names are joined to the page's 26 rows, not to every row before the sort.
    """
    order = _ordering(sort)
    capped = (query.with_only_columns(Case.id, func.row_number().over(order_by=order)
                                      .label("position"))
              .order_by(*order).limit(window).cte("capped"))
    kept = select(func.count().label("total")).select_from(capped).cte("kept")
    # The last page's first row: 0 when nothing matches (-1 // 25 is 0 in SQL's integer division).
    last = (kept.c.total - 1) // page_size * page_size
    start = case((last < offset, last), else_=offset)
    return (
        select(kept.c.total, start.label("start"), Case)
        .select_from(kept)
        .outerjoin(capped, and_(capped.c.position > start,
                                capped.c.position <= start + page_size + 1))
        .outerjoin(Case, Case.id == capped.c.id)
        .options(joinedload(Case.owner_agency), joinedload(Case.district),
                 joinedload(Case.region))
        .order_by(capped.c.position)
    )


@scoped
def list_cases_for(actor: Actor, filters: CaseFilters, *, page: int = 1,
                   page_size: int = PAGE_SIZE) -> CasePage:
    """One page of the cases the actor sees, and how many there are: one statement whatever
    the page size (``_page_statement``).

    The count stops at ``CASE_LIST_COUNT_CAP`` (1,000): a coordinator's region holds up to
    110,000 cases, and counting them all takes longer than the page itself.
    Past the cap the list says "more than 1,000" and pages on by "next" as long as rows follow.
    A page past the end shows the last one.
    """
    if not role_can(actor.role, Permission.CASE_READ):
        return CasePage([], 0, 1, 1)
    cap = count_cap()
    page = max(1, page)
    offset = (page - 1) * page_size
    statement = _page_statement(_filtered(filters), filters.sort, offset=offset,
                                page_size=page_size, window=max(cap + 1, offset + page_size + 1))
    with acting_as(actor):
        found = db.session.execute(statement).unique().all()
    counted, start = found[0].total, found[0].start
    rows = [row[2] for row in found if row[2] is not None]
    page = start // page_size + 1
    more = counted > cap
    has_next, rows = len(rows) > page_size, rows[:page_size]
    pages = page + has_next if more else max(1, -(-counted // page_size))
    audit.record("case.list", object_type="case", details={"count": len(rows), "page": page})
    return CasePage(rows, min(counted, cap), page, pages, more=more, has_next=has_next)
