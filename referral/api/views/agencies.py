"""The directory through the API: agencies (filters and pages), one agency, districts, regions.

The same read as the directory page (referral.referrals.directory.list_directory): active
agencies only, the crisis centers' address rule, free shelter places; audited as the page is.
"""

from __future__ import annotations

from typing import Any

from referral.access.permissions import Permission
from referral.access.scope import current_actor
from referral.agencies import service as agencies
from referral.agencies.models import Agency
from referral.api.paging import Page, decode_cursor, encode_cursor, invalid_cursor
from referral.api.schemas import agencies as s
from referral.api.spec import operation
from referral.audit import service as audit
from referral.errors import NotVisible
from referral.extensions import db
from referral.referrals import directory
from referral.referrals.directory import DirectoryEntry
from referral.web.transaction import run_action

TAG = "directory"


def agency_out(entry: DirectoryEntry) -> s.Agency:
    a = entry.agency
    return s.Agency(
        id=a.id, name=a.name, type=a.type, type_label=a.type_label, region_code=a.region_code,
        district_id=a.district_id, services=a.service_codes, phone=a.phone or "",
        email=a.email or "", address=(a.address or "") if entry.show_address else None,
        website=a.website or "", description=a.description or "", is_24_7=a.is_24_7,
        working_hours=a.working_hours or "", languages=a.languages or "",
        wheelchair_accessible=a.wheelchair_accessible, children_admitted=a.children_admitted,
        shelter_places=a.shelter_places or 0, free_places=entry.free_places,
        external_id=a.external_id)


def _after(cursor: str | None) -> int:
    position = decode_cursor(cursor)
    if position is None:
        return 0
    after = position.get("i")
    if not isinstance(after, int):
        raise invalid_cursor()
    return after


def _entries(query: s.AgencyQuery) -> list[DirectoryEntry]:
    found = directory.list_directory(
        current_actor(), service_code=str(query.service) if query.service else None,
        region_code=query.region, district_id=query.district_id)
    audit.record("directory.view", object_type="directory",
                 details={"service": str(query.service) if query.service else None,
                          "region": query.region, "api": True})
    return [e for e in found.entries if query.type is None or e.agency.type == query.type]


@operation("GET", "/agencies", summary="Agencies of the directory", tag=TAG,
           query=s.AgencyQuery, response=Page[s.Agency], permission=Permission.DIRECTORY_READ)
def list_agencies(query: s.AgencyQuery) -> Page[s.Agency]:
    """Active agencies matching the filters, by id, a page at a time."""
    after = _after(query.cursor)
    entries = sorted((e for e in run_action(lambda: _entries(query)) if e.agency.id > after),
                     key=lambda e: e.agency.id)
    page, more = entries[:query.limit], len(entries) > query.limit
    cursor = encode_cursor({"i": page[-1].agency.id}) if more and page else None
    return Page[s.Agency](items=[agency_out(e) for e in page], next_cursor=cursor)


def _one(agency_id: int) -> DirectoryEntry:
    agency = db.session.get(Agency, agency_id)
    found: Any = None
    if agency is not None and agency.is_active:
        region = directory.list_directory(current_actor(), region_code=agency.region_code)
        found = next((e for e in region.entries if e.agency.id == agency_id), None)
    if found is None:
        raise NotVisible("agency", agency_id)
    audit.record("directory.view", object_type="agency", object_id=agency_id,
                 details={"api": True})
    return found


@operation("GET", "/agencies/<int:agency_id>", summary="One agency of the directory", tag=TAG,
           response=s.Agency, permission=Permission.DIRECTORY_READ)
def get_agency(agency_id: int) -> s.Agency:
    """One active agency as the directory shows it to the caller."""
    return agency_out(run_action(lambda: _one(agency_id)))


@operation("GET", "/districts", summary="Districts", tag=TAG, query=s.DistrictQuery,
           response=s.Districts, permission=Permission.DIRECTORY_READ)
def list_districts(query: s.DistrictQuery) -> s.Districts:
    """Districts, of one region or of all, by region and name."""
    return s.Districts(items=[
        s.District(id=d.id, region_code=d.region_code, name=d.name, name_en=d.name_en,
                   name_ru=d.name_ru or "", name_kk=d.name_kk or "", is_remote=d.is_remote,
                   external_id=d.external_id)
        for d in agencies.list_districts(query.region)])


@operation("GET", "/regions", summary="Regions", tag=TAG, response=s.Regions,
           permission=Permission.DIRECTORY_READ)
def list_regions() -> s.Regions:
    """The first-level administrative units (ISO 3166-2 codes)."""
    return s.Regions(items=[
        s.Region(code=r.code, name=r.name, name_en=r.name_en, name_ru=r.name_ru,
                 name_kk=r.name_kk, centre=r.centre or "")
        for r in agencies.list_regions()])
