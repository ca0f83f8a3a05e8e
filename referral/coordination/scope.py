"""Who sees conferences, agendas and actions.

- Coordinators: everything of their region(s).
- Officers and managers: conferences their agency attended (the minutes), and actions assigned to
  their agency. Which case content they read in the minutes is decided per case by
  ``referral.cases.scope.visible_categories`` in the service.
- Administrators: nothing (no case content).
- Restricted cases: their agenda items and actions are hidden from everyone but the named users.

Subqueries use the plain tables so that one rule does not drag the others' criteria into it.
"""

from __future__ import annotations

from sqlalchemy import Select, and_, false, or_, select
from sqlalchemy.sql.elements import ColumnElement

from referral.access.permissions import Role
from referral.access.scope import Actor, register_scope
from referral.cases.scope import open_or_named
from referral.coordination.models import (
    AgendaItem,
    CaseConference,
    ConferenceAction,
    ConferenceAttendance,
)

_conferences = CaseConference.__table__
_attendance = ConferenceAttendance.__table__


def _is_coordinator(actor: Actor) -> bool:
    return actor.role == Role.COORDINATOR and actor.user_id is not None


def _is_agency_worker(actor: Actor) -> bool:
    return (actor.role in (Role.OFFICER, Role.AGENCY_MANAGER) and actor.agency_id is not None
            and actor.user_id is not None)


def region_conference_ids(actor: Actor) -> Select:
    return select(_conferences.c.id).where(
        _conferences.c.region_code.in_(sorted(actor.region_ids))
    )


def attended_conference_ids(actor: Actor) -> Select:
    """Conferences the actor's agency attended: the minutes are shared with them."""
    return select(_attendance.c.conference_id).where(
        _attendance.c.agency_id == actor.agency_id, _attendance.c.attended.is_(True)
    )


def _by_conference(conference_id: ColumnElement, actor: Actor) -> ColumnElement[bool]:
    if _is_coordinator(actor):
        return conference_id.in_(region_conference_ids(actor))
    if _is_agency_worker(actor):
        return conference_id.in_(attended_conference_ids(actor))
    return false()


@register_scope(CaseConference)
def conference_visible(actor: Actor) -> ColumnElement[bool]:
    if _is_coordinator(actor):
        return CaseConference.region_code.in_(sorted(actor.region_ids))
    if _is_agency_worker(actor):
        return CaseConference.id.in_(attended_conference_ids(actor))
    return false()


@register_scope(ConferenceAttendance)
def attendance_visible(actor: Actor) -> ColumnElement[bool]:
    return _by_conference(ConferenceAttendance.conference_id, actor)


@register_scope(AgendaItem)
def agenda_item_visible(actor: Actor) -> ColumnElement[bool]:
    return and_(_by_conference(AgendaItem.conference_id, actor),
                open_or_named(AgendaItem.case_id, actor))


@register_scope(ConferenceAction)
def action_visible(actor: Actor) -> ColumnElement[bool]:
    if _is_coordinator(actor):
        reach: ColumnElement[bool] = ConferenceAction.region_code.in_(sorted(actor.region_ids))
    elif _is_agency_worker(actor):
        reach = or_(ConferenceAction.agency_id == actor.agency_id,
                    ConferenceAction.conference_id.in_(attended_conference_ids(actor)))
    else:
        return false()
    return and_(reach, open_or_named(ConferenceAction.case_id, actor))
