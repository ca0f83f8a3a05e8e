"""Choices of the coordinator's filters: their regions, the agencies and districts there."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from referral.access.scope import Actor
from referral.agencies import pickers
from referral.agencies.catalogue import SERVICES
from referral.agencies.models import District, Region
from referral.extensions import db
from referral.referrals import codes


def regions(actor: Actor) -> list[Region]:
    """The coordinator's regions, by name."""
    return list(db.session.execute(select(Region).where(
        Region.code.in_(sorted(actor.region_ids))).order_by(Region.name_en)).scalars())


def region_choices(actor: Actor) -> list[tuple[str, str]]:
    return [(r.code, r.name) for r in regions(actor)]


def _region_agencies(actor: Actor) -> pickers.Picker:
    """The agencies of the coordinator's regions for the filters, one ``<optgroup>`` per
    region (agencies.pickers): a hundred or more, in one query of id, name and region, which
    also names the regions."""
    return pickers.agency_picker(actor, show=pickers.ALL, within=sorted(actor.region_ids),
                                 active_only=False, with_district=False)


def fill_filters(form: Any, actor: Actor) -> None:
    """Fill whichever of region, agency, district, service and urgency the form has."""
    blank = [("", _("All"))]
    picker = _region_agencies(actor) if getattr(form, "agency", None) is not None else None
    if picker is not None:
        form.agency.choices = blank + picker.choices(blank=None)
    if getattr(form, "region", None) is not None:
        # The picker read the regions, named in the user's language: no statement of their own.
        form.region.choices = blank + (list(picker.regions) if picker is not None
                                       else region_choices(actor))
    if getattr(form, "district", None) is not None:
        districts = db.session.execute(select(District).where(
            District.region_code.in_(sorted(actor.region_ids))).order_by(District.name_en))
        form.district.choices = blank + [(d.id, d.name) for d in districts.scalars()]
    if getattr(form, "service", None) is not None:
        form.service.choices = blank + [(k, str(v)) for k, v in SERVICES.items()]
    if getattr(form, "urgency", None) is not None:
        form.urgency.choices = blank + [(k, str(v)) for k, v in codes.URGENCIES.items()]
