"""Writing a checked plan, table by table, in the caller's transaction (all or nothing).

New rows of a table go in one flush (one multi-row INSERT per batch of the ORM's size), the
services' rows in one INSERT (referral.bulk); only changed rows are updated. Users go through
the accounts service (its checks, its audit and its invitation e-mail).
"""

from __future__ import annotations

from typing import Any

from referral.access.scope import Actor
from referral.accounts import service as accounts
from referral.agencies.models import Agency, AgencyService, District
from referral.bulk import insert_rows
from referral.extensions import db
from referral.imports.known import Known, load_by
from referral.imports.plan import Plan
from referral.models_base import utcnow


def _assign(obj: Any, fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)


def _districts(plan: Plan, known: Known) -> dict[str, int]:
    new = []
    for existing, fields in plan.districts:
        if existing is None:
            new.append(District(**fields))
        else:
            _assign(existing, fields)
    db.session.add_all(new)
    db.session.flush()
    ids = {ext: d.id for ext, d in known.districts.items()}
    ids.update({f["external_id"]: (e.id if e is not None else 0) for e, f in plan.districts})
    ids.update({d.external_id: d.id for d in new})
    return ids


def _with_district(fields: dict[str, Any], district_ids: dict[str, int]) -> dict[str, Any]:
    values = {k: v for k, v in fields.items() if k != "district"}
    if "district" in fields:
        values["district_id"] = district_ids[fields["district"]] if fields["district"] else None
    return values


# What a new agency holds where the file has no column for it (the model's defaults).
AGENCY_DEFAULTS: dict[str, Any] = {
    "district_id": None, "email": "", "phone": "", "address": "", "is_24_7": False,
    "working_hours": "", "languages": "kk,ru", "wheelchair_accessible": False,
    "shelter_places": 0, "children_admitted": False, "description": "", "website": "",
}


def _agencies(plan: Plan, known: Known, district_ids: dict[str, int]) -> dict[str, Agency]:
    """Create and change agencies; a location's address and district join its agency's row,
    so that a new agency is one row of one INSERT and a changed one one UPDATE."""
    locations = {org: _with_district(fields, district_ids) for org, fields in plan.locations}
    now, new = utcnow(), []
    for existing, fields in plan.organizations:
        values = {**_with_district(fields, district_ids),
                  **locations.pop(fields["external_id"], {})}
        if existing is None:
            new.append({**AGENCY_DEFAULTS, **values, "is_active": True, "created_at": now,
                        "version": 1})
        else:
            _assign(existing, values)
    for org, values in locations.items():  # an organization already in the database
        _assign(known.agencies[org], values)
    db.session.flush()
    insert_rows(Agency.__table__, new)
    agencies = dict(known.agencies)
    agencies.update({a.external_id: a for a in load_by(
        Agency, Agency.external_id, {row["external_id"] for row in new})})
    return agencies


def _services(plan: Plan, agencies: dict[str, Agency]) -> None:
    for service in plan.drop_services:
        db.session.delete(service)
    db.session.flush()
    for service, ext in plan.adopt_services:
        service.external_id = ext
    db.session.flush()
    insert_rows(AgencyService.__table__, [
        {"agency_id": agencies[org].id, "service_code": code, "external_id": ext}
        for org, code, ext in plan.new_services])


def _users(actor: Actor, plan: Plan, agencies: dict[str, Agency]) -> None:
    for existing, fields in plan.users:
        data = accounts.UserInput(
            email=fields["email"], full_name=fields["full_name"],
            agency_id=agencies[fields["organization"]].id, role=fields["role"],
            region_codes=fields["region_codes"],
            phone=fields.get("phone", existing.phone if existing is not None else ""),
            locale=fields.get("locale", existing.locale if existing is not None else None))
        if existing is None:
            accounts.create_user(actor, data)  # with an invitation, e-mailed after the commit
        elif _user_changes(existing, data):
            accounts.update_user(actor, existing, data, expected_version=existing.version)


def _user_changes(user: Any, data: accounts.UserInput) -> bool:
    return ((user.full_name, user.agency_id, user.role, user.phone, user.locale,
             user.region_codes) != (data.full_name, data.agency_id, data.role, data.phone,
                                    data.locale, frozenset(data.region_codes)))


def write(actor: Actor, plan: Plan, known: Known) -> None:
    """Apply ``plan``; the caller commits (or rolls back on any error)."""
    district_ids = _districts(plan, known)
    agencies = _agencies(plan, known, district_ids)
    _services(plan, agencies)
    _users(actor, plan, agencies)
