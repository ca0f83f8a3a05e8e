"""Retention periods: the shipped defaults (referral/data/retention.json) and the operator's
override (setting RETENTION_MONTHS, a JSON object of kind code to months).

Periods and their legal basis are data, not code: the shipped ones are still to be confirmed by
a lawyer, and an operator must be able to correct them without a release.
"""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from flask import current_app

from referral.agencies.models import _localised
from referral.cases.terms import add_months
from referral.paths import PROJECT_ROOT

RETENTION_FILE = PROJECT_ROOT / "referral" / "data" / "retention.json"


@dataclass(frozen=True)
class Kind:
    """One kind of record with its period: ``months`` after the case was closed."""

    code: str
    months: int
    default_months: int
    to_confirm: bool
    title_en: str
    title_ru: str
    title_kk: str

    @property
    def title(self) -> str:
        return _localised(self, "title")


@dataclass(frozen=True)
class Basis:
    version: str
    to_confirm: bool
    legal_basis_en: str
    legal_basis_ru: str
    legal_basis_kk: str

    @property
    def legal_basis(self) -> str:
        return _localised(self, "legal_basis")


@cache
def _load() -> dict[str, Any]:
    return json.loads(RETENTION_FILE.read_text(encoding="utf-8"))


def basis() -> Basis:
    data = _load()
    return Basis(data["version"], bool(data.get("to_confirm")), data["legal_basis_en"],
                 data["legal_basis_ru"], data["legal_basis_kk"])


def kinds() -> list[Kind]:
    """Every kind in the data file's order, with the setting's override applied.

    An override naming no kind stops the job (a misspelt name would silently keep data)."""
    override: dict[str, int] = dict(current_app.config.get("RETENTION_MONTHS") or {})
    rows = _load()["kinds"]
    unknown = set(override) - {row["code"] for row in rows}
    if unknown:
        raise ValueError(f"REFERRAL_RETENTION_MONTHS names no kind of record: "
                         f"{', '.join(sorted(unknown))}")
    return [Kind(row["code"], int(override.get(row["code"], row["months"])), int(row["months"]),
                 bool(row.get("to_confirm")), row["title_en"], row["title_ru"], row["title_kk"])
            for row in rows]


def cutoff(kind: Kind, now: datetime) -> datetime:
    """Cases closed at or before this moment are due for ``kind``: ``months`` calendar months
    back, on the same day (the month's last day when it has no such day)."""
    year, month = add_months(now.date(), -kind.months)
    day = min(now.day, calendar.monthrange(year, month)[1])
    return now.replace(year=year, month=month, day=day)
