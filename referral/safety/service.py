"""Safety plans: made with a survivor, reviewed as new versions, read within consent.

A plan is read by whoever reads both the survivor's contact details and the case's risk
(``READ_CATEGORIES``): the owner, the region's coordinators, and an agency the survivor consented
to share both with. Each read and each version is audited like the rest of the case; audit rows
and the timeline hold ids only, never the plan's words.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from referral.access import scoped
from referral.access.scope import Actor, acting_as
from referral.audit import service as audit
from referral.cases import service as cases
from referral.cases.models import Case, CaseParticipant, ParticipantRole
from referral.cases.scope import visible_categories
from referral.cases.timeline import register_timeline_labels
from referral.errors import DomainError, NotVisible, StaleEdit
from referral.extensions import db
from referral.safety.models import PLAN_FIELDS, SafetyPlan

READ_CATEGORIES = frozenset({"identity_contact", "risk_assessment"})
PARTNER_KNOWS = ("unknown", "yes", "no")
PRINT_LANGUAGES = ("ru", "kk", "en")

register_timeline_labels({"safety_plan.saved": _l("Safety plan saved (new version)")})


@dataclass(frozen=True)
class PlanInput:
    main_concern: str = ""
    resources: str = ""
    code_signal: str = ""
    go_bag: str = ""
    preparedness: str = ""
    during_violence: str = ""
    after_leaving: str = ""
    text_allowed: bool = False
    voicemail_allowed: bool = False
    partner_knows: str = "unknown"


def reads_plans(actor: Actor, case: Case) -> bool:
    """Whether ``actor`` may read the safety plans of a case they see."""
    return visible_categories(actor, case) >= READ_CATEGORIES


@scoped
def survivor_for_plan(actor: Actor, participant_id: int, *, writing: bool = False
                      ) -> tuple[Case, CaseParticipant]:
    """The survivor (and case) a plan is about; NotVisible when the actor may not read (or, with
    ``writing``, add to) the survivor's plans."""
    participant = cases.get_participant(actor, participant_id)
    case = (cases.writable_case(actor, participant.case_id, "risk_assessment") if writing
            else cases.load_case(actor, participant.case_id))
    if participant.role != ParticipantRole.SURVIVOR or not reads_plans(actor, case):
        raise NotVisible("participant", participant_id)
    return case, participant


@scoped
def current_plan(actor: Actor, participant_id: int) -> SafetyPlan | None:
    with acting_as(actor):
        return db.session.execute(select(SafetyPlan).where(
            SafetyPlan.participant_id == participant_id, SafetyPlan.is_current.is_(True))
        ).scalar_one_or_none()


@scoped
def save_plan(actor: Actor, participant_id: int, data: PlanInput, *,
              based_on: int | None) -> SafetyPlan:
    """Add a version of the survivor's plan. ``based_on``: the current version's id the form
    was opened on (None for a first plan); another version saved meanwhile is a StaleEdit."""
    case, participant = survivor_for_plan(actor, participant_id, writing=True)
    if data.partner_knows not in PARTNER_KNOWS:
        raise DomainError(_("Choose an answer from the list."), field="partner_knows")
    if not data.main_concern.strip():
        raise DomainError(_("Write down the survivor's main concern, in their own words."),
                          field="main_concern")
    previous = current_plan(actor, participant_id)
    if (previous.id if previous else None) != based_on:
        raise _stale()
    with acting_as(actor):
        number = db.session.execute(select(func.coalesce(func.max(SafetyPlan.number), 0)).where(
            SafetyPlan.participant_id == participant_id)).scalar_one() + 1
        if previous is not None:
            db.session.execute(update(SafetyPlan).where(SafetyPlan.id == previous.id)
                               .values(is_current=False)
                               .execution_options(synchronize_session="fetch"))
    values = {f.name: getattr(data, f.name) for f in fields(data)}
    for name in PLAN_FIELDS:
        values[name] = values[name].strip()
    plan = SafetyPlan(case_id=case.id, participant_id=participant.id, number=number,
                      is_current=True, created_by_id=actor.user_id, agency_id=actor.agency_id,
                      **values)
    try:
        with db.session.begin_nested():  # two reviews saved at once: the second is told
            db.session.add(plan)
            db.session.flush()
    except IntegrityError:
        raise _stale() from None
    audit.record("safety_plan.save", object_type="safety_plan", object_id=plan.id,
                 details={"case_id": case.id, "participant_id": participant.id,
                          "number": number})
    cases.add_timeline_entry(actor, case.id, "safety_plan.saved", category="risk_assessment",
                             object_type="safety_plan", object_id=plan.id, number=number)
    return plan


def _stale() -> StaleEdit:
    return StaleEdit(_("Someone else saved a new version of this safety plan while you were "
                       "editing it. Your text is still in the form: check the current version "
                       "and save again."))


@scoped
def get_plan_for(actor: Actor, plan_id: int, *, purpose: str = "view") -> SafetyPlan:
    """One version of a plan the actor may read (audited ``safety_plan.<purpose>``), else
    NotVisible."""
    with acting_as(actor):
        plan = db.session.execute(select(SafetyPlan).where(SafetyPlan.id == plan_id)
                                  ).scalar_one_or_none()
    if plan is None:
        raise NotVisible("safety_plan", plan_id)
    try:
        case = cases.load_case(actor, plan.case_id)
    except NotVisible:
        raise NotVisible("safety_plan", plan_id) from None
    if not reads_plans(actor, case):
        raise NotVisible("safety_plan", plan_id)
    action = "safety_plan.print" if purpose == "print" else "safety_plan.view"
    audit.record(action, object_type="safety_plan", object_id=plan.id,
                 details={"case_id": plan.case_id})
    return plan


@scoped
def versions(actor: Actor, participant_id: int) -> list[SafetyPlan]:
    """Every version of a survivor's plan, newest first (read after ``survivor_for_plan`` or
    ``get_plan_for`` checked and audited the read)."""
    with acting_as(actor):
        return list(db.session.execute(select(SafetyPlan).where(
            SafetyPlan.participant_id == participant_id).order_by(SafetyPlan.number.desc())
        ).scalars())
