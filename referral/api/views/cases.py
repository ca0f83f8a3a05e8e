"""Cases through the API: open one, read it, change it, list and find them.

The same service functions as the case pages (``referral.cases.service``), with the token's
actor: the same scope, the same checks, the same audit rows. Reads commit their audit rows
after the answer is built (built first, so nothing loaded expires and is fetched again).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from flask import request, url_for
from flask_babel import gettext as _

from referral.access.permissions import Permission
from referral.access.scope import Actor, current_actor
from referral.api.auth import current_token
from referral.api.etag import etag_header, expected_version
from referral.api.paging import decode_cursor, encode_cursor, invalid_cursor
from referral.api.schemas.cases import (
    CaseCreate,
    CaseListQuery,
    CaseOut,
    CasePageOut,
    CasePatch,
    CaseSummary,
    IinSearch,
    SearchHit,
    SearchResults,
)
from referral.api.spec import Reply, operation
from referral.cases import people
from referral.cases import service as cases
from referral.cases.iin import IINError, normalise_iin, parse_iin
from referral.cases.scope import visible_categories
from referral.errors import DomainError
from referral.extensions import db
from referral.web.transaction import run_action

T = TypeVar("T")
TAG = "cases"
PLACE_FIELDS = ("region_code", "district_id", "address", "languages")
MAX_PAGE = 100_000


def committed(build: Callable[[], T]) -> T:
    """Build the answer of a read, then commit its audit rows (as a page does)."""
    answer = build()
    db.session.commit()
    return answer


def case_out(actor: Actor, case: Any) -> CaseOut:
    """The case as its page shows it to ``actor``."""
    return CaseOut.build(case, visible_categories(actor, case),
                         cases.can_contribute(actor, case))


def _creation_token() -> str:
    """The new-case form's token against a double submission: from the call's Idempotency-Key
    (per token), so a retried call finds the case it opened; else a fresh one."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return cases.new_creation_token()
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"referral-api:{current_token().id}:{key}"))


@operation("POST", "/cases", summary="Open a case", tag=TAG, body=CaseCreate, response=CaseOut,
           status=201, permission=Permission.CASE_CREATE, idempotent=True)
def create_case(body: CaseCreate) -> Reply:
    """Open a case owned by the caller's agency, as the new-case form does (the same checks:
    a 422 problem names the ``field`` to correct)."""
    actor = current_actor()
    data = cases.CaseInput(region_code=body.region_code, district_id=body.district_id,
                           address=body.address, languages=tuple(body.languages))
    token = _creation_token()
    case = run_action(lambda: cases.open_case(actor, data, creation_token=token))
    return Reply(case_out(actor, case), status=201, headers={
        "Location": url_for("api.get_case", case_id=case.id), **etag_header(case.version)})


@operation("GET", "/cases/<int:case_id>", summary="Read a case", tag=TAG, response=CaseOut,
           permission=Permission.CASE_READ)
def get_case(case_id: int) -> Reply:
    """The case as its page shows it to the caller (the read is audited as the page's); the
    ``ETag`` is its version, to send as ``If-Match`` with a change."""
    actor = current_actor()
    case, _people = cases.open_case_page(actor, case_id)
    out = committed(lambda: case_out(actor, case))
    return Reply(out, headers=etag_header(out.version))


def _apply(actor: Actor, case_id: int, body: CasePatch, version: int) -> Any:
    """The case form's change, then the status form's, each at the version it expects."""
    given = body.model_fields_set
    case = cases.writable_case(actor, case_id)
    if given & set(PLACE_FIELDS):
        data = cases.CaseInput(
            region_code=body.region_code or case.region_code,
            district_id=body.district_id if "district_id" in given else case.district_id,
            address=body.address if body.address is not None else case.address,
            languages=tuple(body.languages) if body.languages is not None else tuple(
                c for c in case.languages.split(",") if c))
        case = cases.update_case(actor, case_id, data, expected_version=version)
        version = case.version
    if body.status is not None:
        return cases.change_status(actor, case_id, status=body.status,
                                   reason=body.closed_reason, expected_version=version)
    cases.check_version(case, version, what=_("case"))  # nothing to change: still not stale
    return case


@operation("PATCH", "/cases/<int:case_id>", summary="Change a case", tag=TAG, body=CasePatch,
           response=CaseOut, permission=Permission.CASE_WRITE, if_match=True,
           errors=(403, 409, 412, 428))
def update_case(case_id: int, body: CasePatch) -> Reply:
    """Change the case's place, address, languages or status, as the case page's forms do.
    Requires ``If-Match``: a stale version is refused (412), a missing one too (428)."""
    actor = current_actor()
    version = expected_version(cases.writable_case(actor, case_id).version)
    case = run_action(lambda: _apply(actor, case_id, body, version))
    out = case_out(actor, case)
    return Reply(out, headers=etag_header(out.version))


def _page_number(cursor: str | None) -> int:
    position = decode_cursor(cursor) or {"page": 1}
    page = position.get("page")
    if not isinstance(page, int) or not 1 <= page <= MAX_PAGE:
        raise invalid_cursor()
    return page


@operation("GET", "/cases", summary="List cases", tag=TAG, query=CaseListQuery,
           response=CasePageOut, permission=Permission.CASE_READ)
def list_cases(query: CaseListQuery) -> CasePageOut:
    """The cases the caller sees, filtered as on the case list page, a page at a time (pass
    ``next_cursor`` back as ``cursor``). The list is audited as the page's is."""
    found = cases.list_cases_for(current_actor(), query.filters(),
                                 page=_page_number(query.cursor), page_size=query.limit)
    return committed(lambda: CasePageOut(
        items=[CaseSummary.of(c) for c in found.cases], total=found.total, more=found.more,
        next_cursor=encode_cursor({"page": found.page + 1}) if found.has_next else None))


def checked_iin(value: str) -> str:
    """The IIN as stored (digits only), or a 422 problem naming the mistake."""
    digits = normalise_iin(value)
    try:
        parse_iin(digits)
    except IINError as err:
        raise DomainError(err.message, field="iin") from None
    return digits


@operation("POST", "/cases/search", summary="Find cases by IIN", tag=TAG, body=IinSearch,
           response=SearchResults, permission=Permission.CASE_READ, read_only=True)
def search_cases(body: IinSearch) -> SearchResults:
    """The cases holding the person with exactly this IIN, where the caller reads that person's
    details. The IIN goes in the body, never in a URL; the search is audited as the case
    search page's (without the IIN)."""
    hits = people.search_cases(current_actor(), checked_iin(body.iin))
    return committed(lambda: SearchResults(items=[SearchHit.of(h) for h in hits]))
