"""Risk identification: our own wording of the evidence-based risk factors (DASH and Campbell's
Danger Assessment topics), a count of "yes" answers, levels from configurable thresholds, and a
professional-judgement override that can only raise the level.
"""

from __future__ import annotations

from dataclasses import dataclass

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

# (code, question). Asked of the survivor; "the other person" is the one who harms them.
RISK_FACTORS: tuple[tuple[str, object], ...] = (
    ("current_injury", _l("Were you hurt in what happened this time?")),
    ("very_frightened", _l("Are you very afraid of what the other person might do next?")),
    ("isolation", _l("Does the other person cut you off from family, friends or help?")),
    ("low_mood", _l("Do you feel very low, or have you thought about ending your life?")),
    ("separation", _l("Have you separated, or tried to leave, in the past year?")),
    ("child_contact", _l("Is there conflict about the other person seeing the children?")),
    ("stalking", _l("Does the other person follow, watch, call or message you against your "
                    "will?")),
    ("pregnancy", _l("Are you pregnant, or have you had a baby in the past 18 months?")),
    ("other_child", _l("Is there a child at home who is not the other person's own?")),
    ("harmed_dependants", _l("Has the other person hurt a child or someone else who depends "
                             "on you?")),
    ("escalation", _l("Is the abuse happening more often, or getting worse?")),
    ("control", _l("Is the other person very jealous, or do they control what you do?")),
    ("weapon_used", _l("Has the other person used or threatened you with a weapon?")),
    ("gun_access", _l("Does the other person own or have access to a gun?")),
    ("strangulation", _l("Has the other person ever choked, strangled or smothered you?")),
    ("sexual_abuse", _l("Has the other person forced you into sex or sexual acts?")),
    ("threat_to_kill", _l("Has the other person threatened to kill you or someone else?")),
    ("threat_to_children", _l("Has the other person threatened to hurt the children?")),
    ("harm_to_animals", _l("Has the other person hurt or threatened a pet or other animal?")),
    ("money_control", _l("Does the other person control the money, or stop you working?")),
    ("substance_misuse", _l("Does the other person misuse alcohol or drugs?")),
    ("offender_suicidal", _l("Has the other person threatened or tried to kill themselves?")),
    ("order_breach", _l("Has the other person broken a protective order, court requirement "
                        "or bail condition?")),
    ("criminal_history", _l("Has the other person been in trouble with the police, or been "
                            "violent to others?")),
    ("unemployed", _l("Is the other person out of work?")),
)
FACTOR_CODES = tuple(code for code, _q in RISK_FACTORS)
ANSWERS = {"yes": _l("Yes"), "no": _l("No"), "unknown": _l("Not known")}
_RANK = {RiskLevel.STANDARD: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2}


def thresholds() -> tuple[int, int]:
    """(medium from, high from) counts of "yes": app config RISK_MEDIUM_FROM / RISK_HIGH_FROM."""
    cfg = current_app.config
    return int(cfg.get("RISK_MEDIUM_FROM", 10)), int(cfg.get("RISK_HIGH_FROM", 14))


def level_for(score: int, medium_from: int, high_from: int) -> RiskLevel:
    if score >= high_from:
        return RiskLevel.HIGH
    if score >= medium_from:
        return RiskLevel.MEDIUM
    return RiskLevel.STANDARD


@dataclass(frozen=True)
class Answer:
    value: str  # yes | no | unknown
    comment: str = ""


@scoped
def record_assessment(actor: Actor, case_id: int, answers: dict[str, Answer], *,
                      override_level: str | None = None, override_reason: str = "",
                      survivor_participant_id: int | None = None) -> RiskAssessment:
    """Score the checklist; a high level flags the case for the coordinator."""
    case = cases.writable_case(actor, case_id, "risk_assessment")
    missing = [code for code in FACTOR_CODES if code not in answers]
    if missing:
        raise DomainError(_("Answer every question (yes, no or not known)."), field=missing[0])
    for code in FACTOR_CODES:
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
    score = sum(1 for code in FACTOR_CODES if answers[code].value == "yes")
    medium_from, high_from = thresholds()
    computed = level_for(score, medium_from, high_from)
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
    assessment = RiskAssessment(
        case_id=case.id, survivor_participant_id=survivor_participant_id,
        answers={code: {"answer": answers[code].value, "comment": answers[code].comment.strip()}
                 for code in FACTOR_CODES},
        score=score, unknown_count=sum(1 for a in answers.values() if a.value == "unknown"),
        computed_level=computed, override_level=final if final != computed else None,
        override_reason=override_reason.strip() if final != computed else "",
        level=final, medium_from=medium_from, high_from=high_from,
        assessed_by_id=actor.user_id, agency_id=actor.agency_id,
    )
    db.session.add(assessment)
    db.session.flush()
    audit.record("risk.assess", object_type="risk_assessment", object_id=assessment.id,
                 details={"case_id": case.id, "score": score, "level": final.value})
    cases.add_timeline_entry(actor, case.id, "risk.assessed", category="risk_assessment",
                             object_type="risk_assessment", object_id=assessment.id,
                             level=final.value, score=score)
    _flag_case(actor, case, final, assessment.id)
    return assessment


def _flag_case(actor: Actor, case: Case, level: RiskLevel, assessment_id: int) -> None:
    """The case carries the latest level; entering "high" stamps the flag the coordinator sees."""
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
