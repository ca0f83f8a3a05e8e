"""Notification kinds of conference actions, and how the notification sweep loads their subject.

The notification engine (referral.notifications) turns outbox events into in-app lines and
e-mails; this module only tells it what the events mean and who hears about them.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from referral.coordination.models import CaseConference, ConferenceAction
from referral.coordination.service.actions import sweep_action_reminders
from referral.extensions import db

try:
    from referral.notifications.kinds import register_kind
    from referral.notifications.recipients import Subject, register_subject_loader
    from referral.notifications.rules import register_rule
except ImportError:  # pragma: no cover - the notifications domain is optional
    register_kind = None  # type: ignore[assignment]


def _load_action(action_id: int):  # noqa: ANN202 - Subject when notifications exist
    row = db.session.execute(
        select(ConferenceAction).where(ConferenceAction.id == action_id)
    ).unique().scalar_one_or_none()
    if row is None:
        return None
    # The assigned agency is the "receiver"; a named owner is the "assignee".
    return Subject(reference=row.case_reference, case_id=row.case_id, fields={
        "receiver_agency_id": row.agency_id, "assignee_user_id": row.owner_user_id,
    })


def _load_conference(conference_id: int):  # noqa: ANN202
    row = db.session.execute(
        select(CaseConference).where(CaseConference.id == conference_id)
    ).scalar_one_or_none()
    if row is None:
        return None
    return Subject(reference=f"{row.region_code} {row.scheduled_at:%Y-%m-%d}",
                   fields={"region_code": row.region_code})


if register_kind is not None:
    register_subject_loader("conference_action")(_load_action)
    register_subject_loader("conference")(_load_conference)
    # The minute sweep: actions due soon or overdue, once per action and stage.
    register_rule("conference_actions", order=70)(sweep_action_reminders)
    register_kind("conference_action.assigned",
                  _l("Case conference action for case %(reference)s"),
                  _l("The case conference assigned an action to your agency. It is in your "
                     "agency's list of conference actions."), ("assignee",), mailbox=True)
    register_kind("conference_action.due", _l("Conference action due: case %(reference)s"),
                  _l("An action agreed at a case conference is due or overdue."),
                  ("assignee", "region_coordinators"))
    register_kind("conference_action.completed",
                  _l("Conference action done: case %(reference)s"),
                  _l("An agency marked a case conference action as done."),
                  ("region_coordinators",), email=False)
    register_kind("conference.minutes_ready", _l("Minutes of the case conference %(reference)s"),
                  _l("The minutes of a case conference your agency attended are ready."),
                  ("region_coordinators",), email=False)
