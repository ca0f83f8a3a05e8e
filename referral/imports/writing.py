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
from referral.audit import service as audit
from referral.audit.service import AuditEntry
from referral.bulk import insert_rows
from referral.extensions import db
from referral.imports.known import Known, load_by
from referral.imports.plan import Plan
from referral.models_base import utcnow


def _assign(obj: Any, fields: dict[str, Any]) -> bool:
    """Set what differs; True when anything did."""
    changed = False
    for key, value in fields.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _districts(plan: Plan, known: Known, trail: list[AuditEntry]) -> dict[str, int]:
    new, changed = [], []
    for existing, fields in plan.districts:
        if existing is None:
            new.append(District(**fields))
        elif _assign(existing, fields):
            changed.append(existing)
    db.session.add_all(new)
    db.session.flush()
    trail.extend(AuditEntry("district.save", "district", d.id) for d in (*new, *changed))
    ids = {ext: d.id for ext, d in known.districts.items()}
    ids.update({f["external_id"]: (e.id if e is not None else 0) for e, f in plan.districts})
    ids.update({d.external_id: d.id for d in new})
    return ids


def _with_district(fields: dict[str, Any], district_ids: dict[str, int]) -> dict[str, Any]:
    values = {k: v for k, v in fields.items() if k != "district"}
    if "district" in fields:
        values["district_id"] = district_ids[fields["district"]] if fields["district"] else None
    return values


# What a new agency holds where the file has no column for it: the model's own defaults (the
# bulk INSERT does not apply them).
AGENCY_DEFAULTS: dict[str, Any] = {"district_id": None, **{
    column.key: column.default.arg for column in Agency.__table__.c
    if column.default is not None and not column.default.is_callable
    and column.key not in ("is_active", "version")}}


def _agencies(plan: Plan, known: Known, district_ids: dict[str, int],
              trail: list[AuditEntry]) -> dict[str, Agency]:
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
        elif _assign(existing, values):
            trail.append(AuditEntry("agency.update", "agency", existing.id))
    for org, values in locations.items():  # an organization already in the database
        if _assign(known.agencies[org], values):
            trail.append(AuditEntry("agency.update", "agency", known.agencies[org].id))
    db.session.flush()
    insert_rows(Agency.__table__, new)
    agencies = dict(known.agencies)
    created = load_by(Agency, Agency.external_id, {row["external_id"] for row in new})
    agencies.update({a.external_id: a for a in created})
    trail.extend(AuditEntry("agency.create", "agency", a.id) for a in created)
    return agencies


def _services(plan: Plan, agencies: dict[str, Agency], trail: list[AuditEntry]) -> None:
    touched = {service.agency_id for service in plan.drop_services} | {
        agencies[org].id for org, _code, _ext in plan.new_services}
    trail.extend(AuditEntry("agency.update", "agency", agency_id) for agency_id in
                 sorted(touched - {e.object_id for e in trail if e.object_type == "agency"}))
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
        else:  # the plan holds only users the dry run found changed
            accounts.update_user(actor, existing, data, expected_version=existing.version)


def write(actor: Actor, plan: Plan, known: Known) -> None:
    """Apply ``plan``; the caller commits (or rolls back on any error)."""
    trail: list[AuditEntry] = []  # one audit row per district and agency, as the pages write
    district_ids = _districts(plan, known, trail)
    agencies = _agencies(plan, known, district_ids, trail)
    _services(plan, agencies, trail)
    _users(actor, plan, agencies)
    audit.record_many(trail)
