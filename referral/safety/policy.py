"""The re-assessment policy as data (referral/data/reassessment.json): how long each risk level
may go before the risk is assessed again, when an overdue one goes to the coordinators, and the
least each level expects. A change of policy is a change of that file, with a new version."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from referral.agencies.models import _localised
from referral.cases.models import RiskLevel
from referral.paths import PROJECT_ROOT

POLICY_FILE = PROJECT_ROOT / "referral" / "data" / "reassessment.json"
# The checks the code knows how to make against a case's data; the file picks among them.
MEASURE_CODES = ("crisis_referral", "safety_plan", "conference_agenda", "safe_contact")


@dataclass(frozen=True)
class LevelPolicy:
    interval: timedelta
    escalate_after: timedelta
    measures: tuple[str, ...]


@dataclass(frozen=True)
class Label:
    """A label with its text per language (``title_en`` …), shown in the UI language."""

    title_en: str
    title_ru: str
    title_kk: str

    @property
    def title(self) -> str:
        return _localised(self, "title")


@dataclass(frozen=True)
class Policy:
    version: str
    source: Label
    source_url: str
    levels: dict[str, LevelPolicy]
    measures: dict[str, Label]

    def due_after(self, level: str | None, assessed_at: datetime) -> datetime:
        """The next assessment's due time; an unknown level is treated as the highest."""
        found = self.levels.get(level or "", self.levels[RiskLevel.HIGH])
        return assessed_at + found.interval

    def level(self, level: str | None) -> LevelPolicy | None:
        return self.levels.get(level or "")


def parse(raw: dict[str, Any]) -> Policy:
    """The policy from the file's JSON; a level or measure the code does not know stops it."""
    levels = {}
    for code, row in raw["levels"].items():
        RiskLevel(code)
        unknown = set(row["measures"]) - set(MEASURE_CODES)
        if unknown:
            raise ValueError(f"unknown measures {sorted(unknown)} for level {code}")
        levels[code] = LevelPolicy(timedelta(days=int(row["interval_days"])),
                                   timedelta(days=int(row["escalate_after_days"])),
                                   tuple(row["measures"]))
    if set(levels) != {level.value for level in RiskLevel}:
        raise ValueError("reassessment.json must give every risk level")
    measures = {code: Label(row["title_en"], row["title_ru"], row["title_kk"])
                for code, row in raw["measures"].items()}
    source = raw["source"]
    return Policy(str(raw["version"]), Label(source["title_en"], source["title_ru"],
                                             source["title_kk"]), source.get("url", ""),
                  levels, measures)


@lru_cache(maxsize=1)
def current() -> Policy:
    return parse(json.loads(POLICY_FILE.read_text(encoding="utf-8")))
