"""The case list's one statement: every visible case once, in the chosen order, across pages,
with the right count, "more than" past the cap, and the last page for a page past the end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from referral.cases import service as cases
from referral.cases.models import Case
from referral.extensions import db
from referral.models_base import utcnow
from tests.cases import factories as f
from tests.fixtures import actor, recorded_statements

PAGE = 5


def _expected(ids: list[int], sort: str) -> list[int]:
    """The order of ``sort`` worked out in Python from the rows themselves."""
    with f.as_system():
        rows = db.session.execute(select(Case.id, Case.created_at, Case.high_risk_flagged_at,
                                         Case.reference).where(Case.id.in_(ids))).all()
    if sort == "oldest":
        return [r.id for r in sorted(rows, key=lambda r: (r.created_at, r.id))]
    if sort == "reference":
        return [r.id for r in sorted(rows, key=lambda r: r.reference)]
    newest = sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)
    if sort == "risk":  # flagged first, most recently flagged first; then newest
        flagged = sorted((r for r in newest if r.high_risk_flagged_at),
                         key=lambda r: r.high_risk_flagged_at, reverse=True)
        return [r.id for r in flagged] + [r.id for r in newest if not r.high_risk_flagged_at]
    return [r.id for r in newest]


@pytest.fixture
def listed(world):
    """Twelve cases of the officer's agency (two opened at the same instant, three flagged
    high risk at different times) and one of another agency, which the officer never sees."""
    police = actor(world["officer"])
    opened = [f.open_case(police) for _ in range(12)]
    f.open_case(actor(world["other"]), "KZ-43")
    base = utcnow() - timedelta(days=30)
    with f.as_system():
        for n, case in enumerate(opened):
            at = base + timedelta(hours=n if n != 7 else 6)  # 6 and 7 tie on created_at
            flagged = base + timedelta(days=n) if n in (2, 5, 9) else None
            db.session.execute(update(Case).where(Case.id == case.id)
                               .values(created_at=at, high_risk_flagged_at=flagged))
    db.session.commit()
    return police, [c.id for c in opened]


def _walk(police, sort: str, pages: int) -> tuple[list[int], list[cases.CasePage]]:
    seen, found = [], []
    for n in range(1, pages + 1):
        page = cases.list_cases_for(police, cases.CaseFilters(sort=sort), page=n, page_size=PAGE)
        found.append(page)
        seen += [c.id for c in page.cases]
    return seen, found


def _three_pages(listed, sort: str) -> list[tuple]:
    """Walk pages 1-3: every visible case once, in the sort's order; (page, pages, total,
    more, has_next) of each."""
    police, ids = listed
    seen, found = _walk(police, sort, 3)
    assert seen == _expected(ids, sort)
    return [(p.page, p.pages, p.total, p.more, p.has_next) for p in found]


@pytest.mark.parametrize("sort", cases.SORTS)
def test_pages_hold_every_visible_case_once_in_order_with_an_exact_count(listed, sort):
    assert _three_pages(listed, sort) == [
        (1, 3, 12, False, True), (2, 3, 12, False, True), (3, 3, 12, False, False)]


@pytest.mark.app_config(CASE_LIST_COUNT_CAP=7)
@pytest.mark.parametrize("sort", ["newest", "risk"])
def test_past_the_cap_pages_go_on_while_rows_follow(listed, sort):
    assert _three_pages(listed, sort) == [
        (1, 2, 7, True, True), (2, 3, 7, True, True), (3, 3, 7, True, False)]


@pytest.mark.parametrize("cap", [100, 7])
def test_a_page_past_the_end_is_the_last_page(listed, app, cap):
    police, ids = listed
    app.config["CASE_LIST_COUNT_CAP"] = cap
    last = cases.list_cases_for(police, cases.CaseFilters(), page=3, page_size=PAGE)
    past = cases.list_cases_for(police, cases.CaseFilters(), page=40, page_size=PAGE)
    assert [c.id for c in past.cases] == [c.id for c in last.cases] == _expected(ids, "newest")[10:]
    assert (past.page, past.has_next) == (3, False)


def test_nothing_matching_is_an_empty_first_page(listed):
    police, _ids = listed
    page = cases.list_cases_for(police, cases.CaseFilters(status="closed"), page=4)
    assert (page.cases, page.total, page.page, page.pages, page.more) == ([], 0, 1, 1, False)


def test_the_page_and_its_count_are_one_statement(listed):
    police, _ids = listed
    with recorded_statements() as seen:
        page = cases.list_cases_for(police, cases.CaseFilters(sort="risk"), page=2,
                                    page_size=PAGE)
    reads = [s for s in seen if "FROM cases" in s or "JOIN cases" in s]
    assert len(reads) == 1 and len(page.cases) == PAGE
