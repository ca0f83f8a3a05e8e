"""Helpers of the import tests: files built from row dicts, and the checks run as an actor."""

from __future__ import annotations

import copy
from typing import Any

from referral.access.scope import Actor, acting_as, system_actor
from referral.imports import service
from referral.imports.report import Report
from referral.imports.sample import SAMPLE, csv_bytes, package_bytes, workbook_bytes
from referral.web.transaction import run_action

__all__ = ["SAMPLE", "csv_bytes", "package_bytes", "workbook_bytes", "sample", "dry", "commit",
           "outcomes"]


def sample(**tables: Any) -> dict[str, list[dict[str, str]]]:
    """A deep copy of the sample data, with some tables replaced (None drops one)."""
    data = copy.deepcopy(SAMPLE)
    for name, rows in tables.items():
        if rows is None:
            data.pop(name, None)
        else:
            data[name] = rows
    return data


def _actor(actor: Actor | None) -> Actor:
    return actor or system_actor("test import")


def dry(content: bytes, actor: Actor | None = None, table: str | None = None) -> Report:
    with acting_as(_actor(actor)) as who:
        return run_action(lambda: service.dry_run(who, content, table=table))


def commit(content: bytes, actor: Actor | None = None, table: str | None = None) -> Report:
    with acting_as(_actor(actor)) as who:
        return run_action(lambda: service.commit(who, content, table=table))


def outcomes(report: Report, table: str) -> list[tuple[str, str]]:
    """(external id, outcome) of each row of ``table``."""
    [found] = [t for t in report.tables if t.table == table]
    return [(r.external_id, r.outcome) for r in found.rows]


def messages(report: Report, table: str) -> list[str]:
    [found] = [t for t in report.tables if t.table == table]
    return [m for r in found.rows for m in r.messages] + found.problems
