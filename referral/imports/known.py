"""What the database already holds of an upload's rows, loaded in a few queries per table.

Every existing row an upload may touch is looked up by its external id (or e-mail address) in
bulk, before any row is checked: the checks then read dictionaries, so a file of 2,000
organizations costs the same handful of queries as a file of 20 (no query per row).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import selectinload

from referral.accounts import throttle
from referral.accounts.models import User
from referral.agencies.models import Agency, AgencyService, District, Region
from referral.extensions import db
from referral.imports.reading import Upload

CHUNK = 2000


@dataclass
class Known:
    regions: set[str]
    districts: dict[str, District]  # by external id
    districts_by_name: dict[tuple[str, str], District]  # (region code, English name)
    agencies: dict[str, Agency]  # by external id
    services: dict[str, AgencyService]  # by external id
    pairs: dict[tuple[int, str], AgencyService]  # (agency id, service code)
    users: dict[str, User]  # by normalised e-mail address


def _values(upload: Upload, table: str, column: str) -> set[str]:
    sheet = upload.sheets.get(table)
    if sheet is None:
        return set()
    return {v[column].strip() for _n, v in sheet.rows if v.get(column, "").strip()}


def _chunks(values: Iterable[Any]) -> Iterable[Sequence[Any]]:
    items = sorted(values)
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def load_by(model: type, column: Any, values: set[Any], **options: Any) -> list[Any]:
    """The rows of ``model`` whose ``column`` is one of ``values`` (a query per 2,000)."""
    found: list[Any] = []
    for chunk in _chunks(values):
        query = select(model).where(column.in_(chunk))
        if options.get("eager") is not None:
            query = query.options(options["eager"])
        found.extend(db.session.execute(query).scalars())
    return found


def _district_names(upload: Upload) -> set[tuple[str, str]]:
    sheet = upload.sheets.get("districts")
    if sheet is None:
        return set()
    return {(v.get("region_code", "").strip().upper(), v.get("name_en", "").strip())
            for _n, v in sheet.rows}


def load_known(upload: Upload) -> Known:
    """The existing rows the upload names, each table in one query (per 2,000 values)."""
    district_ids = (_values(upload, "districts", "id")
                    | _values(upload, "organizations", "x_district_id")
                    | _values(upload, "locations", "x_district_id"))
    agency_ids = (_values(upload, "organizations", "id")
                  | _values(upload, "locations", "organization_id")
                  | _values(upload, "services", "organization_id")
                  | _values(upload, "users", "organization_id"))
    agencies = {a.external_id: a for a in load_by(Agency, Agency.external_id, agency_ids)}
    names = _district_names(upload)
    by_name = {}
    for chunk in _chunks(names):
        query = select(District).where(tuple_(District.region_code, District.name_en).in_(chunk))
        by_name.update({(d.region_code, d.name_en): d for d in db.session.execute(query).scalars()})
    services = load_by(AgencyService, AgencyService.external_id,
                     _values(upload, "services", "id"))
    pairs = load_by(AgencyService, AgencyService.agency_id, {a.id for a in agencies.values()})
    emails = {throttle.normalise_email(e) for e in _values(upload, "users", "email")}
    return Known(
        regions=set(db.session.execute(select(Region.code)).scalars()),
        districts={d.external_id: d for d in load_by(District, District.external_id,
                                                   district_ids)},
        districts_by_name=by_name,
        agencies=agencies,
        services={s.external_id: s for s in services},
        pairs={(s.agency_id, s.service_code): s for s in [*pairs, *services]},
        users={u.email: u for u in load_by(User, User.email, emails,
                                         eager=selectinload(User.regions))},
    )
