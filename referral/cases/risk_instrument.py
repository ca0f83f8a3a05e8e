"""The risk instrument as data: its questions, groups, thresholds and the rule that gives a level.

Pure: no database, no actor. ``referral.cases.risk`` records assessments with it; the rules are
explained in that module's docstring. Every version stays loadable so that an old assessment
shows the questions it was asked and keeps the meaning it was given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from referral.cases.models import RiskLevel
from referral.paths import PROJECT_ROOT

INSTRUMENT_FILE = PROJECT_ROOT / "referral" / "data" / "risk_instrument.json"

# Wording by text key (the data file names the key). Asked of the survivor; "the other person" is
# the one who harms them. A version's wording never changes: a new wording gets a new key.
QUESTION_TEXTS: dict[str, Any] = {
    "current_injury": _l("Were you hurt in what happened this time?"),
    "very_frightened": _l("Are you very afraid of what the other person might do next?"),
    "believes_will_kill": _l("Do you believe the other person could kill you?"),
    "isolation": _l("Does the other person cut you off from family, friends or help?"),
    "low_mood": _l("Do you feel very low, or have you thought about ending your life?"),
    "separation": _l("Have you separated, or tried to leave, in the past year?"),
    "separation_after_living_together": _l(
        "Have you left the other person, or separated, after living together or being married?"),
    "child_contact": _l("Is there conflict about the other person seeing the children?"),
    "stalking": _l("Does the other person follow, watch, call or message you against your will?"),
    "stalking_or_threatening_messages": _l(
        "Does the other person follow or spy on you, or leave you threatening messages?"),
    "pregnancy": _l("Are you pregnant, or have you had a baby in the past 18 months?"),
    "pregnancy_or_baby_under_1": _l("Are you pregnant, or do you have a baby under one year old?"),
    "other_child": _l("Is there a child at home who is not the other person's own?"),
    "harmed_dependants": _l("Has the other person hurt a child or someone else who depends on "
                            "you?"),
    "escalation": _l("Is the abuse happening more often, or getting worse?"),
    "escalation_frequency": _l("Is the abuse happening more often?"),
    "escalation_severity": _l("Is the abuse getting worse (more violent or more dangerous)?"),
    "control": _l("Is the other person very jealous, or do they control what you do?"),
    "weapon_used": _l("Has the other person used or threatened you with a weapon?"),
    "gun_access": _l("Does the other person own or have access to a gun?"),
    "strangulation": _l("Has the other person ever choked, strangled or smothered you?"),
    "sexual_abuse": _l("Has the other person forced you into sex or sexual acts?"),
    "threat_to_kill": _l("Has the other person threatened to kill you or someone else?"),
    "threat_to_children": _l("Has the other person threatened to hurt the children?"),
    "relatives_threats": _l("Have the other person's relatives or in-laws threatened you or been "
                            "violent to you?"),
    "harm_to_animals": _l("Has the other person hurt or threatened a pet or other animal?"),
    "money_control": _l("Does the other person control the money, or stop you working?"),
    "substance_misuse": _l("Does the other person misuse alcohol or drugs?"),
    "offender_mental_health": _l("Does the other person have mental-health problems?"),
    "offender_suicidal": _l("Has the other person threatened or tried to kill themselves?"),
    "order_breach": _l("Has the other person broken a protective order, court requirement or "
                       "bail condition?"),
    "criminal_history": _l("Has the other person been in trouble with the police, or been violent "
                           "to others?"),
    "unemployed": _l("Is the other person out of work?"),
}
ANSWERS = {"yes": _l("Yes"), "no": _l("No"), "unknown": _l("Not known")}
RED_FLAG = "red_flag"
LETHALITY = "lethality"
GROUP_LABELS = {RED_FLAG: _l("Red flag"), LETHALITY: _l("Danger sign")}
LEVEL_RANK = {RiskLevel.STANDARD: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2}


@dataclass(frozen=True)
class Item:
    code: str  # the answer's key in ``RiskAssessment.answers``
    text: str  # key into QUESTION_TEXTS
    group: str  # RED_FLAG | LETHALITY | ""

    @property
    def question(self) -> Any:
        return QUESTION_TEXTS[self.text]


@dataclass(frozen=True)
class Instrument:
    version: str
    items: tuple[Item, ...]
    medium_from: int
    high_from: int
    group_high_from: int | None  # None: the version has no lethality-group rule

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(item.code for item in self.items)

    def in_group(self, group: str) -> tuple[str, ...]:
        return tuple(item.code for item in self.items if item.group == group)

    def item(self, code: str) -> Item | None:
        return next((item for item in self.items if item.code == code), None)


@lru_cache(maxsize=1)
def _load() -> tuple[str, dict[str, Instrument]]:
    raw = json.loads(INSTRUMENT_FILE.read_text(encoding="utf-8"))
    found = {}
    for version, spec in raw["versions"].items():
        items = tuple(Item(row["code"], row["text"], row.get("group") or "")
                      for row in spec["items"])
        found[version] = Instrument(version, items, int(spec["medium_from"]),
                                    int(spec["high_from"]), spec.get("group_high_from"))
    return raw["current"], found


def instruments() -> dict[str, Instrument]:
    return _load()[1]


def instrument(version: str) -> Instrument:
    """The instrument an assessment was made with (KeyError for a version never shipped)."""
    return instruments()[version]


def current() -> Instrument:
    return instruments()[_load()[0]]


CURRENT_VERSION = _load()[0]
# The version of every assessment made before assessments recorded theirs.
FIRST_VERSION = "2024-count"
FACTOR_CODES = current().codes
RISK_FACTORS: tuple[tuple[str, Any], ...] = tuple((i.code, i.question) for i in current().items)


@dataclass(frozen=True)
class Thresholds:
    medium_from: int
    high_from: int
    group_high_from: int | None


def thresholds() -> tuple[int, int]:
    """(medium from, high from) counts of "yes" for new assessments."""
    t = current_thresholds()
    return t.medium_from, t.high_from


def current_thresholds() -> Thresholds:
    """The current instrument's thresholds, overridden by the app config (RISK_MEDIUM_FROM,
    RISK_HIGH_FROM, RISK_GROUP_HIGH_FROM) where a region has set its own."""
    cfg, inst = current_app.config, current()
    return Thresholds(int(cfg.get("RISK_MEDIUM_FROM", inst.medium_from)),
                      int(cfg.get("RISK_HIGH_FROM", inst.high_from)),
                      int(cfg.get("RISK_GROUP_HIGH_FROM", inst.group_high_from or 0)) or None)


def level_for(score: int, medium_from: int, high_from: int) -> RiskLevel:
    """The level the count of "yes" alone gives."""
    if score >= high_from:
        return RiskLevel.HIGH
    if score >= medium_from:
        return RiskLevel.MEDIUM
    return RiskLevel.STANDARD


@dataclass(frozen=True)
class Outcome:
    """What the answers give, and why (stored as ``RiskAssessment.explanation``)."""

    level: RiskLevel
    yes: int
    unknown: int
    red_flags: tuple[str, ...]  # red-flag codes answered yes
    red_flags_unknown: tuple[str, ...]
    group_yes: int
    group_unknown: int
    group_size: int
    rules: tuple[str, ...] = field(default=())  # which rules gave the level: red_flag, group, count

    def explanation(self) -> dict[str, Any]:
        return {"red_flags": list(self.red_flags),
                "red_flags_unknown": list(self.red_flags_unknown),
                "group_yes": self.group_yes, "group_unknown": self.group_unknown,
                "group_size": self.group_size, "rules": list(self.rules)}


def evaluate(inst: Instrument, answers: dict[str, str], limits: Thresholds) -> Outcome:
    """The level the answers ("yes" | "no" | "unknown" by code) give under ``inst``. Pure."""
    def with_answer(codes: tuple[str, ...], value: str) -> tuple[str, ...]:
        return tuple(code for code in codes if answers.get(code) == value)

    red, group = inst.in_group(RED_FLAG), inst.in_group(LETHALITY)
    yes = len(with_answer(inst.codes, "yes"))
    red_yes, group_yes = with_answer(red, "yes"), len(with_answer(group, "yes"))
    candidates = []
    if red_yes:
        candidates.append(("red_flag", RiskLevel.HIGH))
    if limits.group_high_from and group and group_yes >= limits.group_high_from:
        candidates.append(("group", RiskLevel.HIGH))
    candidates.append(("count", level_for(yes, limits.medium_from, limits.high_from)))
    level = max((lvl for _n, lvl in candidates), key=LEVEL_RANK.__getitem__)
    rules = tuple(name for name, lvl in candidates
                  if lvl == level and level != RiskLevel.STANDARD)
    return Outcome(level=level, yes=yes, unknown=len(with_answer(inst.codes, "unknown")),
                   red_flags=red_yes, red_flags_unknown=with_answer(red, "unknown"),
                   group_yes=group_yes, group_unknown=len(with_answer(group, "unknown")),
                   group_size=len(group), rules=rules)
