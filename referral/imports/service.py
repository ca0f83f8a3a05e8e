"""Bulk import: check an upload (dry run), then write it all or nothing (commit).

Both read the same file the same way; a commit checks again (the database may have changed
since the dry run) and refuses if any row has an error, so nothing of a bad file is written.
The web pages and ``flask import run`` call these two functions inside ``run_action``.
"""

from __future__ import annotations

from flask_babel import gettext as _

from referral.access.permissions import Permission, role_can
from referral.access.scope import Actor
from referral.audit import service as audit
from referral.errors import DomainError
from referral.imports.columns import DIRECTORY_TABLES, TABLES
from referral.imports.directory import (
    check_districts,
    check_locations,
    check_organizations,
    check_services,
)
from referral.imports.known import Known, load_known
from referral.imports.people import check_users
from referral.imports.plan import Plan
from referral.imports.reading import Upload, read_upload
from referral.imports.report import Report, TableReport
from referral.imports.writing import write

CHECKS = {"districts": check_districts, "organizations": check_organizations,
          "locations": check_locations, "services": check_services}


class ImportRefused(DomainError):
    """The commit found errors: nothing was written. ``report`` says which rows."""

    def __init__(self, report: Report) -> None:
        super().__init__(_("Nothing was imported: %(n)d rows have errors. Correct the file and "
                           "upload it again.", n=report.counts["error"]))
        self.report = report


def may_import(actor: Actor, table: str) -> bool:
    """Directory tables need the agencies permission; users, managing every agency's users."""
    if actor.is_system:
        return True
    if table in DIRECTORY_TABLES:
        return role_can(actor.role, Permission.AGENCIES_MANAGE)
    return role_can(actor.role, Permission.USERS_MANAGE_ALL)


def examine(actor: Actor, upload: Upload) -> tuple[Report, Plan, Known]:
    """Check every row of every table (in table order: later tables refer to earlier ones)."""
    known = load_known(upload)
    plan, report = Plan(), Report(ignored=list(upload.ignored))
    for name in TABLES:
        sheet = upload.sheets.get(name)
        if sheet is None:
            continue
        table = TableReport(name)
        report.tables.append(table)
        if not may_import(actor, name):
            table.problems.append(_("You may not import this table."))
        elif name == "users":
            check_users(sheet, known, plan, table, actor)
        else:
            CHECKS[name](sheet, known, plan, table)
    return report, plan, known


def dry_run(actor: Actor, content: bytes, *, table: str | None = None) -> Report:
    """Every row's outcome; nothing but the audit row is written."""
    report, _plan, _known = examine(actor, read_upload(content, table=table))
    audit.record("import.dry_run", object_type="import", details=report.audit_details())
    return report


def commit(actor: Actor, content: bytes, *, table: str | None = None) -> Report:
    """Write the whole file, or raise ImportRefused (the caller's transaction rolls back)."""
    report, plan, known = examine(actor, read_upload(content, table=table))
    if report.has_errors:
        raise ImportRefused(report)
    write(actor, plan, known)
    report.committed = True
    audit.record("import.commit", object_type="import", details=report.audit_details())
    return report
