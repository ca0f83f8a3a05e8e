"""Conference actions: assigned to an agency with an owner and a due day, swept and reminded.

Callers commit. The reminder sweep is idempotent: each reminder stage is claimed by a
conditional UPDATE, so a second beat or a retry emits nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from referral.access import scoped
from referral.access.permissions import Role
from referral.access.scope import Actor, acting_as, system_actor
from referral.accounts.models import User
from referral.agencies.models import Agency
from referral.audit import service as audit
from referral.coordination.local_time import local_today
from referral.coordination.models import (
    ActionStatus,
    CaseConference,
    ConferenceAction,
    ConferenceStatus,
)
from referral.coordination.service.conferences import get_agenda_item_for
from referral.coordination.service.visible import fetch_visible
from referral.errors import DomainError, NotVisible
from referral.events import service as events
from referral.extensions import db
from referral.models_base import utcnow

DESCRIPTION_MAX = 1000
DUE_SOON_DAYS = 1  # remind when the due day is today or tomorrow


@scoped
def assign_action(actor: Actor, *, item_id: int, agency_id: int, owner_user_id: int | None,
                  description: str, due_on: date, today: date | None = None) -> ConferenceAction:
    """Assign an action on an agenda case to an agency (and optionally a named owner there)."""
    item = get_agenda_item_for(actor, item_id, coordinator=True)
    conference = fetch_visible(actor, select(CaseConference).where(
        CaseConference.id == item.conference_id), "conference", item.conference_id)
    if conference.status == ConferenceStatus.CANCELLED:
        raise DomainError(_("This conference was cancelled."))
    description = description.strip()
    if not description:
        raise DomainError(_("Describe the action."), field="description")
    if len(description) > DESCRIPTION_MAX:
        raise DomainError(_("The description is too long."), field="description")
    if due_on < (today or local_today(utcnow())):
        raise DomainError(_("The due date cannot be in the past."), field="due_on")
    agency = db.session.get(Agency, agency_id)
    if agency is None or not agency.is_active or agency.region_code != conference.region_code:
        raise DomainError(_("Choose an active agency of the conference's region."),
                          field="assignee")
    if owner_user_id is not None:
        owner = db.session.get(User, owner_user_id)
        if owner is None or owner.agency_id != agency.id or not owner.is_active:
            raise DomainError(_("The owner must be an active user of the chosen agency."),
                              field="assignee")
    action = ConferenceAction(
        conference_id=conference.id, agenda_item_id=item.id, case_id=item.case_id,
        case_reference=item.case_reference, region_code=conference.region_code,
        agency_id=agency.id, owner_user_id=owner_user_id, description=description,
        due_on=due_on, status=ActionStatus.OPEN, created_by_id=actor.user_id,
    )
    db.session.add(action)
    db.session.flush()
    audit.record("conference_action.assign", object_type="case", object_id=item.case_id,
                 details={"action_id": action.id, "agency_id": agency.id,
                          "conference_id": conference.id})
    events.emit("conference_action.assigned", subject_type="conference_action",
                subject_id=action.id, agency_id=agency.id, owner_user_id=owner_user_id,
                conference_id=conference.id, case_id=item.case_id,
                due_on=due_on.isoformat())
    return action


@scoped
def get_action_for(actor: Actor, action_id: int) -> ConferenceAction:
    """The action if the actor may see it (scope.action_visible); NotVisible otherwise."""
    return fetch_visible(actor, select(ConferenceAction).where(ConferenceAction.id == action_id),
                         "conference_action", action_id)


def _may_close(actor: Actor, action: ConferenceAction) -> bool:
    if actor.role == Role.COORDINATOR:
        return action.region_code in actor.region_ids
    return actor.role in (Role.OFFICER, Role.AGENCY_MANAGER) and action.agency_id == actor.agency_id


def _close(actor: Actor, action_id: int, status: str, audit_action: str) -> ConferenceAction:
    action = get_action_for(actor, action_id)
    if not _may_close(actor, action):
        raise NotVisible("conference_action", action_id)
    changed = db.session.execute(
        update(ConferenceAction).where(ConferenceAction.id == action.id,
                                       ConferenceAction.status == ActionStatus.OPEN)
        .values(status=status, completed_at=utcnow(), completed_by_id=actor.user_id,
                version=ConferenceAction.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise DomainError(_("This action is already closed."))
    db.session.expire(action)
    audit.record(audit_action, object_type="case", object_id=action.case_id,
                 details={"action_id": action.id})
    return action


@scoped
def complete_action(actor: Actor, *, action_id: int) -> ConferenceAction:
    """The assigned agency (or the coordinator) marks the action done."""
    action = _close(actor, action_id, ActionStatus.DONE, "conference_action.complete")
    events.emit("conference_action.completed", subject_type="conference_action",
                subject_id=action.id, agency_id=action.agency_id,
                conference_id=action.conference_id)
    return action


@scoped
def list_agency_actions(actor: Actor, *, include_closed: bool = False,
                        limit: int = 100) -> list[ConferenceAction]:
    """The work list of the actor's agency: its open actions, soonest due first."""
    if actor.agency_id is None:
        return []
    query = select(ConferenceAction).where(ConferenceAction.agency_id == actor.agency_id)
    if not include_closed:
        query = query.where(ConferenceAction.status == ActionStatus.OPEN)
    with acting_as(actor):
        return list(db.session.execute(
            query.order_by(ConferenceAction.due_on, ConferenceAction.id).limit(limit)
        ).unique().scalars())


@scoped
def list_conference_actions(actor: Actor, conference_id: int) -> list[ConferenceAction]:
    with acting_as(actor):
        return list(db.session.execute(
            select(ConferenceAction).where(ConferenceAction.conference_id == conference_id)
            .order_by(ConferenceAction.due_on, ConferenceAction.id)
        ).unique().scalars())


# --- deadlines -------------------------------------------------------------------------------


DUE_SOON = "due_soon"
OVERDUE = "overdue"


@dataclass(frozen=True)
class DueAction:
    action_id: int
    stage: str  # DUE_SOON or OVERDUE
    agency_id: int
    owner_user_id: int | None
    conference_id: int
    due_on: date


def list_due_actions(now: datetime) -> list[DueAction]:
    """Open actions whose next reminder stage is due and not yet sent (for the sweep)."""
    today = local_today(now)
    column = {DUE_SOON: ConferenceAction.due_soon_reminded_at,
              OVERDUE: ConferenceAction.overdue_reminded_at}
    due: list[DueAction] = []
    with acting_as(system_actor("conference action reminders")):
        for stage, condition in (
            (OVERDUE, ConferenceAction.due_on < today),
            (DUE_SOON, ConferenceAction.due_on.between(today, today + timedelta(DUE_SOON_DAYS))),
        ):
            rows = db.session.execute(select(
                ConferenceAction.id, ConferenceAction.agency_id, ConferenceAction.owner_user_id,
                ConferenceAction.conference_id, ConferenceAction.due_on,
            ).where(ConferenceAction.status == ActionStatus.OPEN, condition,
                    column[stage].is_(None)).order_by(ConferenceAction.id)).all()
            due += [DueAction(r.id, stage, r.agency_id, r.owner_user_id, r.conference_id,
                              r.due_on) for r in rows]
    return due


def remind_action(due: DueAction, now: datetime) -> bool:
    """Claim one reminder stage and emit its event; False when another sweep already did."""
    column = (ConferenceAction.overdue_reminded_at if due.stage == OVERDUE
              else ConferenceAction.due_soon_reminded_at)
    with acting_as(system_actor("conference action reminders")):
        values = {column.key: now}
        if due.stage == OVERDUE:  # an overdue action needs no "due soon" reminder any more
            values["due_soon_reminded_at"] = now
        claimed = db.session.execute(
            update(ConferenceAction).where(ConferenceAction.id == due.action_id,
                                           ConferenceAction.status == ActionStatus.OPEN,
                                           column.is_(None))
            .values(**values).execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            return False
        events.emit("conference_action.due", subject_type="conference_action",
                    subject_id=due.action_id, stage=due.stage, agency_id=due.agency_id,
                    owner_user_id=due.owner_user_id, conference_id=due.conference_id,
                    due_on=due.due_on.isoformat())
    return True


def sweep_action_reminders(now: datetime | None = None) -> int:
    """Emit "conference_action.due" once per action and stage; the caller commits."""
    now = now or utcnow()
    return sum(remind_action(due, now) for due in list_due_actions(now))
