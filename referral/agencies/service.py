"""Agency and district rules. Callers commit."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from referral.access.permissions import Permission, role_can
from referral.access.scope import Actor
from referral.agencies.catalogue import SERVICES
from referral.agencies.models import Agency, AgencyService, AgencyType, District, Region
from referral.audit import service as audit
from referral.errors import DomainError, NotVisible, StaleEdit
from referral.extensions import db


def load_regions() -> int:
    """Insert or update the 20 first-level units shipped in data/regions.json."""
    rows = json.loads(resources.files("referral").joinpath("data/regions.json").read_text("utf-8"))
    for row in rows:
        region = db.session.get(Region, row["code"]) or Region(code=row["code"])
        for key in ("name_en", "name_ru", "name_kk", "centre"):
            setattr(region, key, row[key])
        db.session.add(region)
    db.session.flush()
    return len(rows)


def list_regions() -> list[Region]:
    return list(db.session.execute(select(Region).order_by(Region.name_en)).scalars())


def list_districts(region_code: str | None = None, *,
                   region_codes: Sequence[str] | None = None) -> list[District]:
    query = select(District).order_by(District.region_code, District.name_en)
    if region_code:
        query = query.where(District.region_code == region_code)
    if region_codes is not None:
        query = query.where(District.region_code.in_(list(region_codes)))
    return list(db.session.execute(query).scalars())


def ensure_district(region_code: str, name_en: str, *, is_remote: bool = False,
                    name_ru: str = "", name_kk: str = "") -> District:
    district = db.session.execute(
        select(District).where(District.region_code == region_code, District.name_en == name_en)
    ).scalar_one_or_none()
    if district is None:
        district = District(region_code=region_code, name_en=name_en)
        db.session.add(district)
    district.is_remote = is_remote
    district.name_ru = name_ru or district.name_ru or ""
    district.name_kk = name_kk or district.name_kk or ""
    db.session.flush()
    return district


@dataclass(frozen=True)
class AgencyInput:
    name: str
    type: str
    region_code: str
    district_id: int | None = None
    email: str = ""
    phone: str = ""
    address: str = ""
    is_24_7: bool = False
    working_hours: str = ""
    languages: str = "kk,ru"
    wheelchair_accessible: bool = False
    shelter_places: int = 0
    children_admitted: bool = False
    services: tuple[str, ...] = field(default_factory=tuple)


def _require_admin(actor: Actor) -> None:
    if not role_can(actor.role, Permission.AGENCIES_MANAGE):
        raise NotVisible("agency", None)


def _validate(data: AgencyInput) -> None:
    if not data.name.strip():
        raise DomainError(_("Enter the agency's name."), field="name")
    if data.type not in set(AgencyType):
        raise DomainError(_("Choose the type of agency."), field="type")
    if db.session.get(Region, data.region_code) is None:
        raise DomainError(_("Choose a region."), field="region_code")
    if data.district_id is not None:
        district = db.session.get(District, data.district_id)
        if district is None or district.region_code != data.region_code:
            raise DomainError(_("Choose a district of the chosen region."), field="district_id")
    unknown = set(data.services) - set(SERVICES)
    if unknown:
        raise DomainError(_("Unknown service."), field="services")
    if data.shelter_places < 0:
        raise DomainError(_("Shelter places cannot be negative."), field="shelter_places")


def _apply(agency: Agency, data: AgencyInput) -> None:
    for key in ("type", "region_code", "district_id", "email", "phone", "address", "is_24_7",
                "working_hours", "languages", "wheelchair_accessible", "shelter_places",
                "children_admitted"):
        setattr(agency, key, getattr(data, key))
    agency.name = data.name.strip()
    # Only what changed: a service kept keeps its row, and the id an imported file gave it
    # (referral/imports), so the next import updates it instead of adding it again.
    wanted = set(data.services)
    kept = [service for service in agency.services if service.service_code in wanted]
    agency.services = kept + [AgencyService(service_code=code) for code in
                              sorted(wanted - {service.service_code for service in kept})]


def create_agency(actor: Actor | None, data: AgencyInput) -> Agency:
    """Create an agency; ``actor`` None only from the command line."""
    if actor is not None:
        _require_admin(actor)
    _validate(data)
    agency = Agency(is_active=True)
    _apply(agency, data)
    db.session.add(agency)
    db.session.flush()
    audit.record("agency.create", object_type="agency", object_id=agency.id)
    return agency


def update_agency(
    actor: Actor, agency: Agency, data: AgencyInput, *, expected_version: int
) -> None:
    _require_admin(actor)
    if agency.version != expected_version:
        raise StaleEdit(_("Someone else changed this agency while you were editing. Your "
                          "changes are still in the form; compare them with the saved values "
                          "shown and save again."))
    _validate(data)
    _apply(agency, data)
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise StaleEdit(_("Someone else changed this agency while you were editing. Your "
                          "changes are still in the form; compare them with the saved values "
                          "shown and save again.")) from exc
    audit.record("agency.update", object_type="agency", object_id=agency.id)


def set_agency_active(actor: Actor, agency: Agency, active: bool) -> None:
    _require_admin(actor)
    agency.is_active = active
    audit.record("agency.activate" if active else "agency.deactivate",
                 object_type="agency", object_id=agency.id)


def get_agency(agency_id: int) -> Agency:
    agency = db.session.get(Agency, agency_id)
    if agency is None:
        raise NotVisible("agency", agency_id)
    return agency


def list_agencies(*, region_code: str | None = None, active_only: bool = False) -> list[Agency]:
    query = select(Agency).order_by(Agency.region_code, Agency.name)
    if region_code:
        query = query.where(Agency.region_code == region_code)
    if active_only:
        query = query.where(Agency.is_active.is_(True))
    return list(db.session.execute(query).scalars())
