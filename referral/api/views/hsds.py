"""The service directory as Open Referral HSDS 3.0: organizations, services, locations and
services at locations, read from the same directory service (and the same rules: active
agencies only, a crisis centre's address only to whom the page shows it) as the web's page.

Lists answer HSDS's Page object (``page`` from 1, ``per_page``), ordered by organization name.
Ids are HSDS UUIDs (referral/api/hsds_mapping.py says how they are made).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from flask_babel import gettext as _

from referral.access.permissions import Permission
from referral.access.scope import current_actor
from referral.agencies.catalogue import SERVICES
from referral.api import hsds_mapping as m
from referral.api.problems import Problem
from referral.api.schemas.hsds import (
    HsdsLocation,
    HsdsLocationPage,
    HsdsOrganizationFull,
    HsdsOrganizationPage,
    HsdsQuery,
    HsdsService,
    HsdsServiceAtLocationPage,
    HsdsServicePage,
)
from referral.api.spec import operation
from referral.referrals.directory import DirectoryEntry, list_directory

TAG = "directory (HSDS 3.0)"
T = TypeVar("T")
READ = Permission.DIRECTORY_READ


def _service_code(term: str | None) -> str | None:
    """A taxonomy term id (or our service code) as the service code; '' when unknown."""
    if term is None:
        return None
    for code in SERVICES:
        if term in (code, m.taxonomy_term_id(code)):
            return code
    return ""


def _entries(query: HsdsQuery | None = None) -> list[DirectoryEntry]:
    """The directory entries the caller sees, filtered by the query, in a stable order."""
    code = _service_code(query.taxonomy_term_id) if query else None
    if code == "":
        return []
    entries = list_directory(current_actor(), service_code=code).entries
    if query and query.organization_id:
        entries = [e for e in entries if m.organization_id(e.agency) == query.organization_id]
    return sorted(entries, key=lambda e: (e.agency.name.casefold(), e.agency.id))


def _offers(query: HsdsQuery) -> list[m.Offer]:
    code = _service_code(query.taxonomy_term_id)
    return [o for o in m.offers(_entries(query)) if not code or o.code == code]


def _matches(search: str | None, *texts: str | None) -> bool:
    if not search:
        return True
    needle = search.casefold()
    return any(needle in (text or "").casefold() for text in texts)


def _page(items: Sequence[T], query: HsdsQuery, build: Callable[[T], Any]) -> dict[str, Any]:
    """HSDS's Page object over ``items`` (built only for the page asked)."""
    total = len(items)
    pages = max(math.ceil(total / query.per_page), 1)
    start = (query.page - 1) * query.per_page
    contents = [build(item) for item in items[start:start + query.per_page]]
    return {"total_items": total, "total_pages": pages, "page_number": query.page,
            "size": query.per_page, "first_page": query.page == 1,
            "last_page": query.page >= pages, "empty": not contents, "contents": contents}


def _not_found() -> Problem:
    return Problem(404, _("Not found"))


def _entry(wanted: str, ident: Callable[[DirectoryEntry], str]) -> DirectoryEntry:
    for entry in _entries():
        if ident(entry) == wanted:
            return entry
    raise _not_found()


def _offer(wanted: str) -> m.Offer:
    for offer in m.offers(_entries()):
        if m.service_id(offer.entry.agency, offer.code) == wanted:
            return offer
    raise _not_found()


@operation("GET", "/hsds/organizations", summary="Organizations (HSDS 3.0)", tag=TAG,
           query=HsdsQuery, response=HsdsOrganizationPage, permission=READ)
def hsds_organizations(query: HsdsQuery) -> HsdsOrganizationPage:
    """Active agencies as HSDS organizations; ``search`` matches the name or description,
    ``taxonomy_term_id`` keeps those offering the service.

    Ids (of every HSDS record here): the id the record had in the HSDS file it was imported
    from, else a UUID (version 5) derived from our key, the same in every call."""
    found = [e for e in _entries(query)
             if _matches(query.search, e.agency.name, e.agency.description)]
    return HsdsOrganizationPage.model_validate(_page(found, query, m.organization))


@operation("GET", "/hsds/organizations/<organization_id>", summary="One organization (HSDS 3.0)",
           tag=TAG, response=HsdsOrganizationFull, permission=READ)
def hsds_organization(organization_id: str) -> HsdsOrganizationFull:
    """One organization with its services and its location (HSDS's full organization)."""
    entry = _entry(organization_id, lambda e: m.organization_id(e.agency))
    return HsdsOrganizationFull(
        **m.organization(entry).model_dump(),
        services=[m.service(entry, code) for code in entry.agency.service_codes],
        locations=[m.location(entry)])


@operation("GET", "/hsds/services", summary="Services (HSDS 3.0)", tag=TAG, query=HsdsQuery,
           response=HsdsServicePage, permission=READ)
def hsds_services(query: HsdsQuery) -> HsdsServicePage:
    """Each service each active agency offers, named in the caller's language, with the live
    count of free places of shelters (``capacities``)."""
    found = [o for o in _offers(query)
             if _matches(query.search, m.service_name(o.code), o.entry.agency.name)]
    return HsdsServicePage.model_validate(
        _page(found, query, lambda o: m.service(o.entry, o.code, with_organization=True)))


@operation("GET", "/hsds/services/<service_id>", summary="One service (HSDS 3.0)", tag=TAG,
           response=HsdsService, permission=READ)
def hsds_service(service_id: str) -> HsdsService:
    """One service with its organization."""
    offer = _offer(service_id)
    return m.service(offer.entry, offer.code, with_organization=True)


@operation("GET", "/hsds/locations", summary="Locations (HSDS 3.0)", tag=TAG, query=HsdsQuery,
           response=HsdsLocationPage, permission=READ)
def hsds_locations(query: HsdsQuery) -> HsdsLocationPage:
    """Each active agency's premises: region and district always, the street address when the
    directory page shows it to the caller."""
    found = [e for e in _entries(query)
             if _matches(query.search, e.agency.name, e.agency.region.name,
                         e.agency.district.name if e.agency.district else None)]
    return HsdsLocationPage.model_validate(_page(found, query, m.location))


@operation("GET", "/hsds/locations/<location_id>", summary="One location (HSDS 3.0)", tag=TAG,
           response=HsdsLocation, permission=READ)
def hsds_location(location_id: str) -> HsdsLocation:
    """One location."""
    return m.location(_entry(location_id, lambda e: m.location_id(e.agency)))


@operation("GET", "/hsds/service_at_locations", summary="Services at locations (HSDS 3.0)",
           tag=TAG, query=HsdsQuery, response=HsdsServiceAtLocationPage, permission=READ)
def hsds_service_at_locations(query: HsdsQuery) -> HsdsServiceAtLocationPage:
    """Each service where it is given, with the service and the location in full."""
    found = [o for o in _offers(query)
             if _matches(query.search, m.service_name(o.code), o.entry.agency.name)]
    return HsdsServiceAtLocationPage.model_validate(
        _page(found, query, lambda o: m.service_at_location(o.entry, o.code)))
