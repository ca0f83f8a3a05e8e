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

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update

from referral.access import scoped
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
from referral.cases.risk_instrument import (  # noqa: F401 - the instrument, as callers knew it
    ANSWERS,
    CURRENT_VERSION,
    FACTOR_CODES,
    FIRST_VERSION,
    GROUP_LABELS,
    INSTRUMENT_FILE,
    LETHALITY,
    LEVEL_RANK,
    QUESTION_TEXTS,
    RED_FLAG,
    RISK_FACTORS,
    Instrument,
    Item,
    Outcome,
    Thresholds,
    current,
    current_thresholds,
    evaluate,
    instrument,
    instruments,
    level_for,
    thresholds,
)
from referral.cases.scope import visible_categories
from referral.errors import DomainError, NotVisible
from referral.events.service import emit
from referral.extensions import db
from referral.models_base import utcnow


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
        if LEVEL_RANK[raised] <= LEVEL_RANK[computed]:
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
    a = (LEVEL_RANK[RiskLevel(latest.level)], latest.score)
    b = (LEVEL_RANK[RiskLevel(before.level)], before.score)
    return "rising" if a > b else "falling" if a < b else "steady"


@scoped
def get_assessment_for(actor: Actor, assessment_id: int) -> RiskAssessment:
    with acting_as(actor):
        found = db.session.execute(select(RiskAssessment).where(
            RiskAssessment.id == assessment_id)).scalar_one_or_none()
    if found is None:
        raise NotVisible("risk_assessment", assessment_id)
    case = cases.get_case_for(actor, found.case_id)
    if "risk_assessment" not in visible_categories(actor, case):
        raise NotVisible("risk_assessment", assessment_id)
    return found
