"""Shelter places: taken on acceptance, released on closing, never counted twice.

Both changes are conditional UPDATEs checked by row count, so two acceptances racing for the
last place cannot both win, on SQLite or PostgreSQL.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from referral.agencies.models import Agency
from referral.errors import DomainError
from referral.extensions import db
from referral.referrals.models import AgencyCapacity

PLACE_SERVICES = frozenset({"shelter"})

_capacity = AgencyCapacity.__table__
_agencies = Agency.__table__


def needs_place(service_code: str) -> bool:
    return service_code in PLACE_SERVICES


def _ensure_row(agency_id: int) -> None:
    exists = db.session.execute(
        select(_capacity.c.agency_id).where(_capacity.c.agency_id == agency_id)
    ).first()
    if exists:
        return
    try:
        with db.session.begin_nested():
            db.session.execute(_capacity.insert().values(agency_id=agency_id, places_in_use=0))
    except IntegrityError:
        pass  # another transaction created it first: fine


def places_in_use(agency_id: int) -> int:
    value = db.session.execute(
        select(_capacity.c.places_in_use).where(_capacity.c.agency_id == agency_id)
    ).scalar_one_or_none()
    return value or 0


def usage_by_agency(agency_ids: list[int]) -> dict[int, int]:
    if not agency_ids:
        return {}
    rows = db.session.execute(
        select(_capacity.c.agency_id, _capacity.c.places_in_use)
        .where(_capacity.c.agency_id.in_(agency_ids))
    )
    return {agency_id: used for agency_id, used in rows}


class NoPlaceLeft(DomainError):
    """The agency is full; acceptance needs an explicit overflow reason."""


def take_place(agency_id: int, *, overflow_reason: str = "") -> bool:
    """Take one place; returns True when it was an overflow (over the agency's places)."""
    _ensure_row(agency_id)
    total = select(_agencies.c.shelter_places).where(_agencies.c.id == agency_id).scalar_subquery()
    taken = db.session.execute(
        update(_capacity)
        .where(_capacity.c.agency_id == agency_id, _capacity.c.places_in_use < total)
        .values(places_in_use=_capacity.c.places_in_use + 1)
    ).rowcount
    if taken == 1:
        return False
    if not overflow_reason.strip():
        raise NoPlaceLeft(
            _("There is no free place left. To accept anyway, give the reason for the overflow."),
            field="overflow_reason",
        )
    db.session.execute(
        update(_capacity).where(_capacity.c.agency_id == agency_id)
        .values(places_in_use=_capacity.c.places_in_use + 1)
    )
    return True


def release_place(agency_id: int) -> None:
    db.session.execute(
        update(_capacity)
        .where(_capacity.c.agency_id == agency_id, _capacity.c.places_in_use > 0)
        .values(places_in_use=_capacity.c.places_in_use - 1)
    )
