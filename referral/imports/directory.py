"""Checking the directory's tables: districts, organizations, locations, services.

Each check reads the sheet's rows against what the file and the database hold (``Known``),
reports every row's outcome, and adds what is to be written to the ``Plan``. A column absent
from the sheet leaves that field as it is; a column present but blank clears it.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from referral.agencies.catalogue import SERVICES
from referral.agencies.models import Agency, AgencyType, District
from referral.imports.columns import EMAIL, SERVICE_STATUSES, TABLES
from referral.imports.known import Known
from referral.imports.plan import Plan
from referral.imports.reading import Sheet
from referral.imports.report import TableReport
from referral.imports.rows import Row, check_unique, first_rows, result, start_table

ORG_TEXT = {"name": "name", "description": "description", "email": "email",
            "website": "website", "x_phone": "phone", "x_working_hours": "working_hours",
            "x_languages": "languages"}
ORG_FLAGS = {"x_is_24_7": "is_24_7", "x_wheelchair_accessible": "wheelchair_accessible",
             "x_children_admitted": "children_admitted"}
ADDRESS = ("address_1", "address_2", "city", "postal_code")


def _region(row: Row, known: Known, column: str) -> str:
    code = row.text(column).upper()
    if code and code not in known.regions:
        row.fail(_("Unknown region code “%(code)s”.", code=code))
    return code


def _differs(obj: Any, fields: dict[str, Any]) -> bool:
    return any(getattr(obj, key) != value for key, value in fields.items())


def check_districts(sheet: Sheet, known: Known, plan: Plan, report: TableReport) -> None:
    spec = TABLES["districts"]
    if not start_table(sheet, spec, report):
        return
    ids = first_rows(sheet, "id")
    names: dict[tuple[str, str], int] = {}
    for number, values in sheet.rows:
        row = Row(sheet, number, values)
        row.check_filled(spec)
        ext = row.text("id")
        check_unique(row, ext, ids)
        fields: dict[str, Any] = {"region_code": _region(row, known, "region_code"),
                                  "name_en": row.text("name_en")}
        key = (fields["region_code"], fields["name_en"])
        if names.setdefault(key, number) != number:
            row.fail(_("The district “%(name)s” is also in row %(row)d.",
                       name=fields["name_en"], row=names[key]))
        for column in ("name_ru", "name_kk"):
            if row.has(column):
                fields[column] = row.text(column)
        if row.has("is_remote"):
            fields["is_remote"] = row.flag("is_remote")
        existing = _district_for(row, known, ext, key)
        if existing is not None:
            plan.district_ids[ext] = existing.id
        plan.file_districts[ext] = fields["region_code"]
        fields["external_id"] = ext
        report.rows.append(result(row, ext, new=existing is None,
                                  changed=existing is not None and _differs(existing, fields)))
        if not row.errors:
            plan.districts.append((existing, fields))


def _district_for(row: Row, known: Known, ext: str, key: tuple[str, str]) -> District | None:
    """The district a row updates: by external id, else one of the same name without one."""
    existing = known.districts.get(ext)
    by_name = known.districts_by_name.get(key)
    if by_name is not None and by_name is not existing:
        if existing is not None or by_name.external_id:
            row.fail(_("The region already has a district of this name under another id."))
            return existing
        return by_name
    return existing


def check_organizations(sheet: Sheet, known: Known, plan: Plan, report: TableReport) -> None:
    spec = TABLES["organizations"]
    if not start_table(sheet, spec, report):
        return
    ids = first_rows(sheet, "id")
    for number, values in sheet.rows:
        row = Row(sheet, number, values)
        row.check_filled(spec)
        ext = row.text("id")
        check_unique(row, ext, ids)
        fields = _org_fields(row, known, plan)
        plan.file_orgs[ext] = fields["region_code"]
        plan.org_districts[ext] = fields.get("district", "")
        existing = known.agencies.get(ext)
        report.rows.append(result(row, ext, new=existing is None, changed=existing is not None
                                  and _agency_differs(existing, fields, known, plan)))
        if not row.errors:
            plan.organizations.append((existing, {**fields, "external_id": ext}))


def _org_fields(row: Row, known: Known, plan: Plan) -> dict[str, Any]:
    kind = row.text("x_agency_type").lower()
    if kind and kind not in set(AgencyType):
        row.fail(_("Unknown agency type “%(value)s”. Use one of: %(values)s.",
                   value=kind, values=", ".join(AgencyType)))
    fields: dict[str, Any] = {"type": kind, "region_code": _region(row, known, "x_region_code")}
    for column, attr in ORG_TEXT.items():
        if row.has(column):
            fields[attr] = row.text(column)
    if fields.get("email") and not EMAIL.match(fields["email"]):
        row.fail(_("“%(value)s” is not an e-mail address.", value=fields["email"]))
    for column, attr in ORG_FLAGS.items():
        if row.has(column):
            fields[attr] = row.flag(column)
    if row.has("x_shelter_places"):
        fields["shelter_places"] = row.count("x_shelter_places")
    if row.has("x_district_id"):
        district = row.text("x_district_id")
        fields["district"] = district and plan.resolve_district(
            row, known, district, fields["region_code"])
    return fields


def _agency_differs(agency: Agency, fields: dict[str, Any], known: Known, plan: Plan) -> bool:
    plain = {k: v for k, v in fields.items() if k != "district"}
    if "district" in fields:
        wanted = fields["district"]
        if agency.district_id != (plan.district_id(known, wanted) if wanted else None):
            return True
    return _differs(agency, plain)


def check_locations(sheet: Sheet, known: Known, plan: Plan, report: TableReport) -> None:
    spec = TABLES["locations"]
    if not start_table(sheet, spec, report):
        return
    ids, orgs = first_rows(sheet, "id"), first_rows(sheet, "organization_id")
    for number, values in sheet.rows:
        row = Row(sheet, number, values)
        row.check_filled(spec)
        ext, org = row.text("id"), row.text("organization_id")
        check_unique(row, ext, ids)
        if org and orgs.get(org, number) != number:
            row.fail(_("The organization “%(id)s” has another location in row %(row)d; one "
                       "location per organization is read.", id=org, row=orgs[org]))
        region = plan.resolve_org(row, known, org)
        fields = _location_fields(row, known, plan, org, region)
        agency = known.agencies.get(org)
        report.rows.append(result(row, ext, new=agency is None, changed=agency is not None
                                  and _agency_differs(agency, fields, known, plan)))
        if not row.errors:
            plan.locations.append((org, fields))


def _location_fields(row: Row, known: Known, plan: Plan, org: str,
                     region: str | None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if any(row.has(c) for c in ADDRESS):
        fields["address"] = ", ".join(row.text(c) for c in ADDRESS if row.text(c))
        if len(fields["address"]) > 300:
            row.fail(_("The address is longer than %(n)d characters.", n=300))
    district = row.text("x_district_id")
    if district:
        fields["district"] = plan.resolve_district(row, known, district, region)
        if plan.org_districts.get(org) and plan.org_districts[org] != district:
            row.fail(_("The organization's row names another district."))
    return fields


def check_services(sheet: Sheet, known: Known, plan: Plan, report: TableReport) -> None:
    spec = TABLES["services"]
    if not start_table(sheet, spec, report):
        return
    ids = first_rows(sheet, "id")
    pairs: dict[tuple[str, str], int] = {}
    for number, values in sheet.rows:
        row = Row(sheet, number, values)
        row.check_filled(spec)
        ext, org = row.text("id"), row.text("organization_id")
        check_unique(row, ext, ids)
        plan.resolve_org(row, known, org)
        code = row.text("x_service_code").lower()
        if code and code not in SERVICES:
            row.fail(_("Unknown service code “%(code)s”. Use one of: %(codes)s.",
                       code=code, codes=", ".join(SERVICES)))
        status = row.text("status").lower() or "active"
        if status not in SERVICE_STATUSES:
            row.fail(_("Unknown status “%(value)s”. Use one of: %(values)s.",
                       value=status, values=", ".join(SERVICE_STATUSES)))
        if status == "active" and pairs.setdefault((org, code), number) != number:
            row.fail(_("The organization “%(id)s” has this service in row %(row)d too.",
                       id=org, row=pairs[(org, code)]))
        new, changed = _service_change(row, known, plan, (ext, org, code), status == "active")
        report.rows.append(result(row, ext, new=new, changed=changed))


def _service_change(row: Row, known: Known, plan: Plan, key: tuple[str, str, str],
                    active: bool) -> tuple[bool, bool]:
    """(new, changed) for one service row; its writes go into the plan if it has no error."""
    ext, org, code = key
    existing = known.services.get(ext)
    agency = known.agencies.get(org)
    pair = known.pairs.get((agency.id, code)) if agency is not None else None
    same = existing is not None and existing is pair
    if pair is not None and pair.external_id not in (None, ext):
        if active:
            row.fail(_("The organization already offers this service under the id “%(id)s”.",
                       id=pair.external_id))
        pair = None  # another id's row: an inactive one leaves it alone
    if row.errors:
        return False, False
    drops = [] if same and active else list(
        dict.fromkeys(s for s in (existing, pair) if s is not None))
    if active and pair is not None and pair.external_id is None and existing is None:
        plan.adopt_services.append((pair, ext))
        return False, True
    plan.drop_services.extend(drops)
    if active and not same:
        plan.new_services.append((org, code, ext))
    return existing is None and pair is None and active, bool(drops) and not (
        existing is None and pair is None)
