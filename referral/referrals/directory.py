"""The service directory: who offers what, where, when, and how many places are free."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from referral.access import scoped
from referral.access.permissions import Permission, Role, role_can
from referral.access.scope import Actor
from referral.agencies.models import Agency, AgencyService, AgencyType, District
from referral.errors import NotVisible
from referral.extensions import db
from referral.referrals import capacity
from referral.referrals.lifecycle import OPEN_STATES, Status
from referral.referrals.models import Referral


@dataclass(frozen=True)
class DirectoryEntry:
    agency: Agency
    proximity: int  # 0 same district, 1 same region, 2 elsewhere
    places_in_use: int
    show_address: bool

    @property
    def free_places(self) -> int | None:
        if not self.agency.shelter_places:
            return None
        return max(self.agency.shelter_places - self.places_in_use, 0)


@dataclass(frozen=True)
class Directory:
    entries: list[DirectoryEntry]
    gaps: list[District]  # remote districts without the chosen service


def _home(actor: Actor) -> Agency | None:
    if actor.agency_id is None:
        return None
    return db.session.execute(select(Agency).where(Agency.id == actor.agency_id)).scalar_one()


def _proximity(agency: Agency, home: Agency | None) -> int:
    if home is None:
        return 2
    if home.district_id and agency.district_id == home.district_id:
        return 0
    return 1 if agency.region_code == home.region_code else 2


def _agencies_hosting_our_clients(actor: Actor) -> set[int]:
    """Shelters holding a client our agency referred: the sender needs the address."""
    if actor.agency_id is None:
        return set()
    rows = db.session.execute(
        select(Referral.receiver_agency_id).where(
            Referral.sender_agency_id == actor.agency_id,
            Referral.status.in_(sorted(OPEN_STATES - {Status.SENT})),
        )
    ).scalars()
    return set(rows)


def address_visible(actor: Actor, agency: Agency, hosting: set[int]) -> bool:
    """A crisis centre's address only for its staff, coordinators, and agencies whose client it
    shelters; other agencies' addresses for every directory user."""
    if agency.type != AgencyType.CRISIS_CENTER:
        return True
    return (actor.role == Role.COORDINATOR or actor.agency_id == agency.id
            or agency.id in hosting)


@scoped
def list_directory(actor: Actor, *, service_code: str | None = None,
                   region_code: str | None = None, district_id: int | None = None) -> Directory:
    """Active agencies matching the filters: the actor's district first, then region."""
    if not role_can(actor.role, Permission.DIRECTORY_READ):
        raise NotVisible("directory", None)
    query = (select(Agency).where(Agency.is_active.is_(True))
             .options(selectinload(Agency.services)))
    if service_code:
        query = query.where(Agency.id.in_(
            select(AgencyService.agency_id).where(AgencyService.service_code == service_code)))
    if region_code:
        query = query.where(Agency.region_code == region_code)
    if district_id:
        query = query.where(Agency.district_id == district_id)
    agencies = [a for a in db.session.execute(query).scalars()
                if a.type != AgencyType.COORDINATION or a.service_codes]
    home = _home(actor)
    used = capacity.usage_by_agency([a.id for a in agencies])
    hosting = _agencies_hosting_our_clients(actor)
    entries = sorted(
        (DirectoryEntry(a, _proximity(a, home), used.get(a.id, 0),
                        address_visible(actor, a, hosting)) for a in agencies),
        key=lambda e: (e.proximity, e.agency.region_code, e.agency.name),
    )
    region = region_code or (home.region_code if home else None)
    return Directory(entries, _gaps(service_code, region) if service_code else [])


def _gaps(service_code: str, region_code: str | None) -> list[District]:
    """Remote districts (of the region, if one is known) with no agency offering the service."""
    covered = select(Agency.district_id).where(
        Agency.is_active.is_(True), Agency.district_id.is_not(None),
        Agency.id.in_(select(AgencyService.agency_id)
                      .where(AgencyService.service_code == service_code)),
    )
    query = select(District).where(District.is_remote.is_(True), District.id.not_in(covered))
    if region_code:
        query = query.where(District.region_code == region_code)
    return list(db.session.execute(query.order_by(District.region_code, District.name_en))
                .scalars())
