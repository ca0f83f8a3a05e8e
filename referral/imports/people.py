"""Checking the users table: matched by e-mail address (lowercased, as accounts normalise it).

A new user is created with an invitation (e-mailed after the commit, through the accounts'
own path); an existing one is changed only where the importer could change them on the user
page (``can_manage``), and only when a value differs.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _

from referral.access.permissions import Role
from referral.access.scope import Actor
from referral.accounts import throttle
from referral.accounts.models import User
from referral.accounts.service import can_manage
from referral.imports.columns import EMAIL, LOCALES, TABLES
from referral.imports.known import Known
from referral.imports.plan import Plan
from referral.imports.reading import Sheet
from referral.imports.report import TableReport
from referral.imports.rows import Row, check_unique, first_rows, result, start_table

SEPARATORS = re.compile(r"[\s,;]+")


def check_users(sheet: Sheet, known: Known, plan: Plan, report: TableReport,
                actor: Actor) -> None:
    spec = TABLES["users"]
    if not start_table(sheet, spec, report):
        return
    emails = first_rows(sheet, "email", throttle.normalise_email)
    for number, values in sheet.rows:
        row = Row(sheet, number, values)
        row.check_filled(spec)
        email = throttle.normalise_email(row.text("email"))
        check_unique(row, email, emails)
        if email and not EMAIL.match(email):
            row.fail(_("“%(value)s” is not an e-mail address.", value=email))
        fields = _fields(row, known, plan, email)
        existing = known.users.get(email)
        _check_rights(row, actor, existing, known.agencies.get(fields["organization"]),
                      fields["role"])
        changed = existing is not None and _user_differs(existing, fields, known)
        report.rows.append(result(row, email, new=existing is None, changed=changed))
        if not row.errors and (existing is None or changed):  # the one "changed?" decision
            plan.users.append((existing, fields))


def _fields(row: Row, known: Known, plan: Plan, email: str) -> dict[str, Any]:
    role = row.text("role").lower()
    if role and role not in set(Role):
        row.fail(_("Unknown role “%(value)s”. Use one of: %(values)s.",
                   value=role, values=", ".join(Role)))
    codes = tuple(c for c in SEPARATORS.split(row.text("regions").upper()) if c)
    unknown = [c for c in codes if c not in known.regions]
    if unknown:
        row.fail(_("Unknown region code “%(code)s”.", code=unknown[0]))
    if role == Role.COORDINATOR and not codes:
        row.fail(_("A coordinator needs at least one region."))
    fields: dict[str, Any] = {
        "email": email, "full_name": row.text("full_name"), "role": role,
        "organization": row.text("organization_id"),
        "region_codes": tuple(sorted(set(codes))) if role == Role.COORDINATOR else (),
    }
    plan.resolve_org(row, known, fields["organization"])
    if row.has("locale"):
        locale = row.text("locale").lower()
        if locale not in (*LOCALES, ""):
            row.fail(_("Unknown language “%(value)s”. Use one of: %(values)s.",
                       value=locale, values=", ".join(LOCALES)))
        fields["locale"] = locale or None
    if row.has("phone"):
        fields["phone"] = row.text("phone")
    return fields


def _check_rights(row: Row, actor: Actor, existing: User | None, agency: Any,
                  role: str) -> None:
    """The importer may change a user only as the user page would let them."""
    if existing is not None and not can_manage(actor, existing.agency_id, existing.role):
        row.fail(_("You may not change this user."))
    elif role and not can_manage(actor, agency.id if agency is not None else -1, role):
        row.fail(_("You may not give this role or agency."))


def _user_differs(user: User, fields: dict[str, Any], known: Known) -> bool:
    agency = known.agencies.get(fields["organization"])
    if agency is None or user.agency_id != agency.id:
        return True
    if (user.full_name, user.role) != (fields["full_name"], fields["role"]):
        return True
    if user.region_codes != frozenset(fields["region_codes"]):
        return True
    return any(getattr(user, key) != fields[key] for key in ("locale", "phone") if key in fields)
