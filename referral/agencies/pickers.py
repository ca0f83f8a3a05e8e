"""Agency pickers: every agency of the country, grouped by region, the user's region first.

A national list is some 2,000 agencies: a ``<select>`` of them is unusable on a phone. The
picker shows the user's own region(s) by default and puts any other region one choice away (a
region switch that reloads the list on the server, no script needed); the whole country is one
choice further ("all regions"). The list is a convenience, not a rule: a form posting an agency
outside it is validated by the service functions as before.

One statement reads both the regions (for the switch and the group labels) and the agencies
shown: regions LEFT JOIN agencies, the agency conditions in the join, so a region with no agency
shown still comes back once, with NULL agency columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import get_locale
from sqlalchemy import and_, case, exists, false, or_, select, true
from sqlalchemy.orm import aliased
from wtforms.fields.choices import SelectChoice

from referral.access.scope import Actor
from referral.agencies.models import Agency, AgencyService, AgencyType, District, Region
from referral.extensions import db

ALL = "all"  # the switch's value for the whole country
PARAM = "agency_region"  # the GET parameter of the switch
_REGION_CODE = re.compile(r"^[A-Z]{2}-[0-9A-Z]{1,4}$")


@dataclass(frozen=True)
class Group:
    code: str
    label: str  # the region's name in the user's language (regions.json's per-language names)
    home: bool
    options: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Picker:
    """What a template needs: the groups shown, the switch's regions and its value."""

    groups: list[Group]
    regions: list[tuple[str, str]]  # (code, name) of every region, the user's first
    show: str  # "" (own regions), a region code, or ALL
    home: tuple[str, ...]

    def choices(self, blank: str | None = "—") -> list[SelectChoice]:
        """WTForms choices with one ``<optgroup>`` per region (the blank outside any group)."""
        out = [SelectChoice(value="", label=blank)] if blank is not None else []
        out += [SelectChoice(value=value, label=label, optgroup=g.label)
                for g in self.groups for value, label in g.options]
        return out

    @property
    def ids(self) -> set[int]:
        return {value for g in self.groups for value, _label in g.options}


def parse_show(value: str | None) -> str:
    """The switch's value from a request: "", ALL, or a well-formed region code."""
    value = (value or "").strip()
    if value == ALL:
        return ALL
    return value.upper() if _REGION_CODE.match(value.upper()) else ""


def home_regions(actor: Actor) -> tuple[str, ...]:
    """The regions a coordinator works in; for agency staff, their agency's (in SQL, below)."""
    return tuple(sorted(actor.region_ids))


def _language() -> str:
    try:
        return str(get_locale() or "en")[:2]
    except (RuntimeError, AttributeError):
        return "en"


def _pick(row: Any, stem: str, lang: str) -> str:
    return getattr(row, f"{stem}_{lang}", None) or getattr(row, f"{stem}_en") or ""


def _is_home(actor: Actor, home_codes: tuple[str, ...], own: Any) -> Any:
    """SQL truth of "this region is the user's": a coordinator's regions, else the region of
    the user's agency (a scalar subquery: no statement of its own)."""
    if home_codes:
        return Region.code.in_(home_codes)
    if actor.agency_id is not None:
        return Region.code == select(own.region_code).where(
            own.id == actor.agency_id).scalar_subquery()
    return false()


def agency_picker(actor: Actor, *, show: str = "", service_code: str | None = None,
                  receiving: bool = False, exclude_ids: Iterable[int] = (),
                  keep_id: int | None = None, within: Sequence[str] | None = None,
                  active_only: bool = True, with_district: bool = True) -> Picker:
    """The agencies to offer, grouped by region, the user's region(s) first.

    ``show``: "" for the user's own region(s), a region code for that region as well, ALL for
    the whole country. ``receiving``: only agencies a referral may go to (a coordination office
    only if it offers a service), never the user's own. ``within``: regions the picker may never
    leave (a coordinator's filters cover their regions only). ``keep_id``: an agency already
    chosen stays listed whatever the regions shown, so a form shown again keeps it.
    """
    lang = _language()
    home_codes = home_regions(actor)
    own = aliased(Agency, name="own_agency")
    is_home = _is_home(actor, home_codes, own)
    if show == ALL or (not home_codes and actor.agency_id is None):
        shown: Any = true()
    elif show:
        shown = or_(is_home, Agency.region_code == show)
    else:
        shown = is_home
    if keep_id:
        shown = or_(shown, Agency.id == keep_id)
    conditions = [Agency.region_code == Region.code, shown]
    if active_only:
        conditions.append(Agency.is_active.is_(True))
    if service_code:
        conditions.append(exists().where(AgencyService.agency_id == Agency.id,
                                         AgencyService.service_code == service_code))
    if receiving:
        conditions.append(or_(Agency.type != AgencyType.COORDINATION,
                              exists().where(AgencyService.agency_id == Agency.id)))
        if actor.agency_id is not None:
            conditions.append(Agency.id != actor.agency_id)
    excluded = [i for i in exclude_ids if i]
    if excluded:
        conditions.append(Agency.id.not_in(excluded))
    near = (Agency.district_id == select(own.district_id).where(
        own.id == actor.agency_id).scalar_subquery()) if actor.agency_id else false()
    query = (
        select(Region.code, Region.name_en, Region.name_ru, Region.name_kk,
               is_home.label("is_home"), Agency.id, Agency.name,
               District.name_en.label("district_en"), District.name_ru.label("district_ru"),
               District.name_kk.label("district_kk"))
        .select_from(Region)
        .outerjoin(Agency, and_(*conditions))
        .outerjoin(District, District.id == Agency.district_id)
        .order_by(Region.code, case((near, 0), else_=1), Agency.name, Agency.id)
    )
    if within is not None:
        query = query.where(Region.code.in_(list(within)))
    groups: dict[str, Group] = {}
    for row in db.session.execute(query):
        group = groups.get(row.code)
        if group is None:
            group = groups[row.code] = Group(row.code, _pick(row, "name", lang),
                                             bool(row.is_home))
        if row.id is not None:
            district = _pick(row, "district", lang) if row.district_en else ""
            label = f"{row.name} · {district}" if with_district and district else row.name
            group.options.append((row.id, label))
    ordered = sorted(groups.values(), key=lambda g: (not g.home, g.label.casefold()))
    return Picker(groups=[g for g in ordered if g.options],
                  regions=[(g.code, g.label) for g in ordered], show=show,
                  home=tuple(g.code for g in ordered if g.home))


def district_picker(actor: Actor, *, region_code: str | None = None,
                    keep_id: int | None = None) -> Picker:
    """Districts grouped by region for a filter: the chosen region's, else the user's own
    region(s) (each region's districts one region choice away), in one statement that also
    lists every region, the user's first, for the region filter."""
    lang = _language()
    home_codes = home_regions(actor)
    own = aliased(Agency, name="own_agency")
    is_home = _is_home(actor, home_codes, own)
    shown: Any = Region.code == region_code if region_code else is_home
    if keep_id:
        shown = or_(shown, District.id == keep_id)
    query = (select(Region.code, Region.name_en, Region.name_ru, Region.name_kk,
                    is_home.label("is_home"), District.id, District.name_en.label("district_en"),
                    District.name_ru.label("district_ru"), District.name_kk.label("district_kk"))
             .select_from(Region)
             .outerjoin(District, and_(District.region_code == Region.code, shown))
             .order_by(Region.code, District.name_en))
    groups: dict[str, Group] = {}
    for row in db.session.execute(query):
        group = groups.get(row.code)
        if group is None:
            group = groups[row.code] = Group(row.code, _pick(row, "name", lang),
                                             bool(row.is_home))
        if row.id is not None:
            group.options.append((row.id, _pick(row, "district", lang)))
    ordered = sorted(groups.values(), key=lambda g: (not g.home, g.label.casefold()))
    return Picker(groups=[g for g in ordered if g.options],
                  regions=[(g.code, g.label) for g in ordered], show=region_code or "",
                  home=tuple(g.code for g in ordered if g.home))
