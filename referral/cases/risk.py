"""Risk identification: our own wording of the evidence-based risk factors (DASH, Campbell's
Danger Assessment and the Lethality Assessment Program's screen).

The instrument is data (``referral/data/risk_instrument.json``): items, groups and thresholds under
a version id. The level is the highest that any rule gives:
- a **red flag** answered yes (weapon, threat to kill, strangulation, the survivor's belief that
  they will be killed) → high at once, because a plain count must never outvote a lethal
  indicator (five of the strongest homicide predictors used to score 5 → "standard");
- ``group_high_from`` or more yes in the **lethality** group (LAP's second group) → high;
- the count of yes against ``medium_from`` / ``high_from`` (DASH's 10 / 14);
then professional judgement may only raise it. "Not known" is never counted as yes or no.
Every assessment stores the instrument version, the thresholds and the explanation it was given,
so older assessments keep their meaning and show the questions they were asked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from referral.access.scope import Actor, acting_as
from referral.audit import service as audit
from referral.cases import service as cases
from referral.cases.models import (
    RISK_LEVEL_LABELS,
    Case,
    CaseParticipant,
    ParticipantRole,
    RiskAssessment,
    RiskLevel,
)
from referral.cases.service import scoped
from referral.errors import DomainError
from referral.events.service import emit
from referral.extensions import db
from referral.models_base import utcnow
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
_RANK = {RiskLevel.STANDARD: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2}


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
# The version migration 0020 gives to every assessment made before versions were recorded.
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
    level = max((lvl for _n, lvl in candidates), key=_RANK.__getitem__)
    rules = tuple(name for name, lvl in candidates
                  if lvl == level and level != RiskLevel.STANDARD)
    return Outcome(level=level, yes=yes, unknown=len(with_answer(inst.codes, "unknown")),
                   red_flags=red_yes, red_flags_unknown=with_answer(red, "unknown"),
                   group_yes=group_yes, group_unknown=len(with_answer(group, "unknown")),
                   group_size=len(group), rules=rules)


@dataclass(frozen=True)
class Answer:
    value: str  # yes | no | unknown
    comment: str = ""


@scoped
def record_assessment(actor: Actor, case_id: int, answers: dict[str, Answer], *,
                      override_level: str | None = None, override_reason: str = "",
                      survivor_participant_id: int | None = None) -> RiskAssessment:
    """Score the current instrument's checklist; a high level flags the case for the coordinator
    (the review and the next case conference's proposals read the flag)."""
    case = cases.writable_case(actor, case_id, "risk_assessment")
    inst = current()
    missing = [code for code in inst.codes if code not in answers]
    if missing:
        raise DomainError(_("Answer every question (yes, no or not known)."), field=missing[0])
    for code in inst.codes:
        if answers[code].value not in ANSWERS:
            raise DomainError(_("Choose yes, no or not known."), field=code)
    if survivor_participant_id is not None:
        with acting_as(actor):
            ok = db.session.execute(select(CaseParticipant.id).where(
                CaseParticipant.id == survivor_participant_id,
                CaseParticipant.case_id == case.id,
                CaseParticipant.role == ParticipantRole.SURVIVOR)).scalar_one_or_none()
        if ok is None:
            raise DomainError(_("Choose a survivor of this case."),
                              field="survivor_participant_id")
    limits = current_thresholds()
    outcome = evaluate(inst, {code: answers[code].value for code in inst.codes}, limits)
    computed = outcome.level
    final = computed
    if override_level:
        try:
            raised = RiskLevel(override_level)
        except ValueError:
            raise DomainError(_("Choose a level from the list."), field="override_level") from None
        if _RANK[raised] <= _RANK[computed]:
            raise DomainError(_("Professional judgement can only raise the level above the one "
                                "the answers give (%(level)s).",
                                level=RISK_LEVEL_LABELS[computed]), field="override_level")
        if not override_reason.strip():
            raise DomainError(_("Give the reason for raising the level."),
                              field="override_reason")
        final = raised
    explanation = outcome.explanation() | {"group_high_from": limits.group_high_from}
    assessment = RiskAssessment(
        case_id=case.id, survivor_participant_id=survivor_participant_id,
        answers={code: {"answer": answers[code].value, "comment": answers[code].comment.strip()}
                 for code in inst.codes},
        score=outcome.yes, unknown_count=outcome.unknown,
        computed_level=computed, override_level=final if final != computed else None,
        override_reason=override_reason.strip() if final != computed else "",
        level=final, medium_from=limits.medium_from, high_from=limits.high_from,
        instrument_version=inst.version, explanation=explanation,
        assessed_by_id=actor.user_id, agency_id=actor.agency_id,
    )
    db.session.add(assessment)
    db.session.flush()
    audit.record("risk.assess", object_type="risk_assessment", object_id=assessment.id,
                 details={"case_id": case.id, "score": outcome.yes, "level": final.value,
                          "version": inst.version, "rules": list(outcome.rules),
                          "red_flags": list(outcome.red_flags)})
    cases.add_timeline_entry(actor, case.id, "risk.assessed", category="risk_assessment",
                             object_type="risk_assessment", object_id=assessment.id,
                             level=final.value, score=outcome.yes)
    _flag_case(actor, case, final, assessment.id)
    return assessment


def _flag_case(actor: Actor, case: Case, level: RiskLevel, assessment_id: int) -> None:
    """The case carries the latest level; entering "high" (by any rule: red flag, danger signs,
    count or judgement) stamps the flag that puts the case at once on the coordinator's review
    and among the proposals for the region's next case conference."""
    table = Case.__table__
    values: dict[str, object] = {"risk_level": level.value}
    becomes_high = level == RiskLevel.HIGH and case.high_risk_flagged_at is None
    if becomes_high:
        values["high_risk_flagged_at"] = utcnow()
    elif level != RiskLevel.HIGH:
        values["high_risk_flagged_at"] = None
    db.session.execute(update(table).where(table.c.id == case.id).values(**values))
    db.session.refresh(case)
    if becomes_high:
        cases.add_timeline_entry(actor, case.id, "case.high_risk", object_type="risk_assessment",
                                 object_id=assessment_id)
        emit("case.high_risk", subject_type="case", subject_id=case.id,
             region=case.region_code, agency_id=case.owner_agency_id)


# --- why the level is what it is -----------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """One line of the explanation; ``items`` are the questions it names; ``decisive`` marks the
    rule that set the level."""

    text: str
    items: tuple[str, ...] = ()
    decisive: bool = False


def instrument_of(assessment: RiskAssessment) -> Instrument:
    """The instrument the assessment was made with (the current one if its version is unknown,
    which only a hand-edited row could have)."""
    return instruments().get(assessment.instrument_version) or current()


def questions_of(assessment: RiskAssessment) -> list[tuple[str, Any, str]]:
    """(code, question, group) in the order the assessment asked them."""
    return [(i.code, i.question, i.group) for i in instrument_of(assessment).items]


def reasons(assessment: RiskAssessment) -> list[Reason]:
    """Why the assessment has its level: red flags, danger signs, the count, the unknowns and
    professional judgement, each with the threshold it was held against (translated now)."""
    inst = instrument_of(assessment)
    data: dict[str, Any] = assessment.explanation or {}
    rules = set(data.get("rules") or ())
    computed = RiskLevel(assessment.computed_level)

    def questions(codes: list[str]) -> tuple[str, ...]:
        return tuple(str(i.question) for code in codes if (i := inst.item(code)) is not None)

    out: list[Reason] = []
    if inst.in_group(RED_FLAG):
        flags = list(data.get("red_flags") or ())
        out.append(Reason(_("Red flags answered yes (any one makes the level high):"),
                          questions(flags), decisive=True) if flags
                   else Reason(_("No red flag answered yes.")))
    group_from = data.get("group_high_from")
    if inst.in_group(LETHALITY) and group_from:
        out.append(Reason(_("%(yes)d of %(size)d danger signs answered yes; %(from)d or more make "
                            "the level high.", yes=int(data.get("group_yes") or 0),
                            size=int(data.get("group_size") or len(inst.in_group(LETHALITY))),
                            **{"from": int(group_from)}), decisive="group" in rules))
    out.append(Reason(_("%(yes)d of %(total)d questions answered yes; medium from %(m)d, high "
                        "from %(h)d.", yes=assessment.score, total=len(inst.items),
                        m=assessment.medium_from, h=assessment.high_from),
                      decisive="count" in rules or (not data and computed != RiskLevel.STANDARD)))
    if assessment.unknown_count:
        out.append(Reason(_("%(n)d answered \"not known\": not counted as yes. Ask again when it "
                            "is safe.", n=assessment.unknown_count)))
        unknown_flags = list(data.get("red_flags_unknown") or ())
        if unknown_flags:
            out.append(Reason(_("Red flags not known (the level may be higher than shown):"),
                              questions(unknown_flags)))
    if assessment.override_level:
        out.append(Reason(_("Raised by professional judgement from %(from)s: %(reason)s",
                            reason=assessment.override_reason,
                            **{"from": RISK_LEVEL_LABELS[computed]}), decisive=True))
    if assessment.instrument_version != CURRENT_VERSION:
        out.append(Reason(_("Assessed with an earlier version of the questions (%(version)s); "
                            "its level stands as it was given.",
                            version=assessment.instrument_version)))
    return out


# --- reading -------------------------------------------------------------------------------------


@scoped
def list_assessments(actor: Actor, case_id: int) -> list[RiskAssessment]:
    """Newest first."""
    with acting_as(actor):
        return list(db.session.execute(
            select(RiskAssessment).where(RiskAssessment.case_id == case_id)
            .order_by(RiskAssessment.assessed_at.desc(), RiskAssessment.id.desc())).scalars())


def trend(assessments: list[RiskAssessment]) -> str | None:
    """"rising", "falling" or "steady" between the two latest assessments (newest first)."""
    if len(assessments) < 2:
        return None
    latest, before = assessments[0], assessments[1]
    a, b = (_RANK[RiskLevel(latest.level)], latest.score), (_RANK[RiskLevel(before.level)],
                                                            before.score)
    return "rising" if a > b else "falling" if a < b else "steady"


@scoped
def get_assessment_for(actor: Actor, assessment_id: int) -> RiskAssessment:
    from referral.errors import NotVisible

    with acting_as(actor):
        found = db.session.execute(select(RiskAssessment).where(
            RiskAssessment.id == assessment_id)).scalar_one_or_none()
    if found is None:
        raise NotVisible("risk_assessment", assessment_id)
    case = cases.get_case_for(actor, found.case_id)
    from referral.cases.scope import visible_categories

    if "risk_assessment" not in visible_categories(actor, case):
        raise NotVisible("risk_assessment", assessment_id)
    return found
