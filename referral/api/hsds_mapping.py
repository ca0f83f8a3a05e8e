"""Our directory as Open Referral HSDS 3.0 records: agencies are organizations, each agency's
premises one location, each service it offers a service (and a service at that location).

Ids. HSDS wants a UUID for every record; ours are integers (and an agency offers a service
under a code). The id of a record is

- its ``external_id`` when it has one (an organization or service loaded from an HSDS file by
  referral/imports keeps the id it had there, so an export gives back the same ids), else
- ``uuid5(HSDS_NAMESPACE, "<kind>:<our key>")``: stable across calls, databases restored from
  backup and releases, and telling nothing beyond what the record shows.

Locations, services at locations, phones, schedules and the like have no id of their own in our
data; theirs are ``uuid5`` over their owner's key. ``HSDS_NAMESPACE`` must never change.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import get_locale
from flask_babel import gettext as _

from referral.agencies.catalogue import SERVICES
from referral.agencies.models import Agency
from referral.api.schemas.hsds import (
    HsdsAccessibility,
    HsdsAddress,
    HsdsAttribute,
    HsdsLanguage,
    HsdsLocation,
    HsdsOrganization,
    HsdsPhone,
    HsdsSchedule,
    HsdsService,
    HsdsServiceAtLocation,
    HsdsServiceCapacity,
    HsdsTaxonomyTerm,
    HsdsUnit,
)
from referral.models_base import utcnow
from referral.referrals import capacity
from referral.referrals.directory import DirectoryEntry

HSDS_NAMESPACE = uuid.UUID("6f1c0d55-5a43-5b0e-9c57-2f0d7e0b1a21")
TAXONOMY = "referral-kz-services"
COUNTRY = "KZ"
# Endonyms: a language's own name reads the same in every interface language.
LANGUAGE_NAMES = {"kk": "Қазақ тілі", "ru": "Русский язык", "en": "English"}
EVERY_DAY = "MO,TU,WE,TH,FR,SA,SU"


def derived_id(kind: str, *key: object) -> str:
    """The stable UUID of a record without an id of its own in an HSDS file."""
    return str(uuid.uuid5(HSDS_NAMESPACE, ":".join([kind, *map(str, key)])))


def organization_id(agency: Agency) -> str:
    return agency.external_id or derived_id("organization", agency.id)


def service_id(agency: Agency, code: str) -> str:
    for offered in agency.services:
        if offered.service_code == code and offered.external_id:
            return offered.external_id
    return derived_id("service", agency.id, code)


def location_id(agency: Agency) -> str:
    return derived_id("location", agency.id)


def service_at_location_id(agency: Agency, code: str) -> str:
    return derived_id("service_at_location", agency.id, code)


def taxonomy_term_id(code: str) -> str:
    return derived_id("taxonomy_term", code)


def service_name(code: str) -> str:
    """The catalogue's label in the caller's language (the code itself if unknown)."""
    return str(SERVICES.get(code, code))


def organization(entry: DirectoryEntry) -> HsdsOrganization:
    agency = entry.agency
    org = organization_id(agency)
    return HsdsOrganization(
        id=org, name=agency.name, description=agency.description or agency.type_label,
        email=agency.email or None, website=agency.website or None,
        phones=_phones(agency, organization_id=org))


def _phones(agency: Agency, **owner: str) -> list[HsdsPhone]:
    if not agency.phone:
        return []
    return [HsdsPhone(id=derived_id("phone", agency.id), number=agency.phone, **owner)]


def _languages(agency: Agency, **owner: str) -> list[HsdsLanguage]:
    codes = [c.strip() for c in (agency.languages or "").split(",") if c.strip()]
    key = next(iter(owner.values()))
    return [HsdsLanguage(id=derived_id("language", key, code), code=code,
                         name=LANGUAGE_NAMES.get(code, code), **owner) for code in codes]


def _schedules(agency: Agency, **owner: str) -> list[HsdsSchedule]:
    key = next(iter(owner.values()))
    if agency.is_24_7:
        return [HsdsSchedule(id=derived_id("schedule", key), freq="WEEKLY", byday=EVERY_DAY,
                             opens_at="00:00", closes_at="23:59",
                             description=_("Open 24/7"), **owner)]
    if agency.working_hours:
        return [HsdsSchedule(id=derived_id("schedule", key), description=agency.working_hours,
                             **owner)]
    return []


def location(entry: DirectoryEntry) -> HsdsLocation:
    """The agency's premises; the address only when the directory page would show it."""
    agency = entry.agency
    loc = location_id(agency)
    addresses = []
    if entry.show_address and agency.address:
        addresses = [HsdsAddress(
            id=derived_id("address", agency.id), location_id=loc, address_1=agency.address,
            city=_city(agency),
            region=agency.region.name, state_province=agency.region_code, postal_code="",
            country=COUNTRY, address_type="physical")]
    accessibility = ([HsdsAccessibility(id=derived_id("accessibility", agency.id),
                                        location_id=loc, description=_("Wheelchair accessible"))]
                     if agency.wheelchair_accessible else [])
    return HsdsLocation(
        id=loc, location_type="physical", organization_id=organization_id(agency),
        name=agency.name, description=_place(agency), addresses=addresses,
        languages=_languages(agency, location_id=loc), accessibility=accessibility,
        schedules=_schedules(agency, location_id=loc), phones=_phones(agency, location_id=loc))


def _city(agency: Agency) -> str:
    """HSDS asks for a city: the district (a city's district is a city), else the region's
    centre, else the region."""
    if agency.district:
        return agency.district.name
    return agency.region.centre or agency.region.name


def _place(agency: Agency) -> str:
    """Region and district by name: shown even when the street address is not."""
    parts = [agency.region.name] + ([agency.district.name] if agency.district else [])
    return " · ".join(parts)


def _term(code: str) -> HsdsTaxonomyTerm:
    return HsdsTaxonomyTerm(id=taxonomy_term_id(code), code=code, name=service_name(code),
                            description=service_name(code), taxonomy=TAXONOMY,
                            language=_language())


def _language() -> str:
    return str(get_locale() or "en")[:2]


def _capacities(entry: DirectoryEntry, code: str, sid: str) -> list[HsdsServiceCapacity]:
    """The live count of free places the directory shows, for services that take a place."""
    agency = entry.agency
    if not capacity.needs_place(code) or entry.free_places is None:
        return []
    return [HsdsServiceCapacity(
        id=derived_id("service_capacity", agency.id, code), service_id=sid,
        unit=HsdsUnit(id=derived_id("unit", "place"), name=_("Places"), identifier="place"),
        available=entry.free_places, maximum=agency.shelter_places,
        description=service_name(code), updated=utcnow().isoformat())]


def service(entry: DirectoryEntry, code: str, *, with_organization: bool = False
            ) -> HsdsService:
    agency = entry.agency
    sid = service_id(agency, code)
    attribute = HsdsAttribute(
        id=derived_id("attribute", agency.id, code), link_id=sid, link_type="service_type",
        link_entity="service", taxonomy_term_id=taxonomy_term_id(code), taxonomy_term=_term(code))
    return HsdsService(
        id=sid, organization_id=organization_id(agency), name=service_name(code),
        description=service_name(code), status="active", email=agency.email or None,
        url=agency.website or None, attributes=[attribute],
        languages=_languages(agency, service_id=sid),
        schedules=_schedules(agency, service_id=sid),
        capacities=_capacities(entry, code, sid),
        organization=organization(entry) if with_organization else None)


def service_at_location(entry: DirectoryEntry, code: str) -> HsdsServiceAtLocation:
    agency = entry.agency
    return HsdsServiceAtLocation(
        id=service_at_location_id(agency, code), service_id=service_id(agency, code),
        location_id=location_id(agency), service=service(entry, code), location=location(entry))


@dataclass(frozen=True)
class Offer:
    """One service of one agency (what an HSDS service and service-at-location describe)."""

    entry: DirectoryEntry
    code: str


def offers(entries: Iterable[DirectoryEntry]) -> list[Offer]:
    return [Offer(e, code) for e in entries for code in e.agency.service_codes]
