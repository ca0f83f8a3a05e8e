"""School notices in the notification engine: the e-mail only says a notice awaits (with a link),
and unanswered notices past their deadline go to the region's coordinators, once each."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from referral.accounts.models import User
from referral.events.service import EventSpec
from referral.extensions import db
from referral.notifications.kinds import register_kind
from referral.notifications.links import register_target
from referral.notifications.recipients import Subject, register_subject_loader
from referral.notifications.rules import Reminder, once_many, register_rule, stamp
from referral.schools.models import SchoolContact, SchoolNotice
from referral.schools.service import overdue_notices

ESCALATION = "escalation.school_notice_unanswered"


@register_subject_loader("school_notice")
def _load_notice(notice_id: int) -> Subject | None:
    """No case id and no case reference: the school must not learn the case, and a restricted
    case's members-only rule is not the school's (the law protects the child)."""

    row = db.session.execute(select(
        SchoolNotice.school_agency_id, SchoolNotice.sender_agency_id, SchoolNotice.region_code,
        User.id.label("contact_id"),
    ).outerjoin(SchoolContact, SchoolContact.agency_id == SchoolNotice.school_agency_id)
        .outerjoin(User, (User.id == SchoolContact.user_id) & User.is_active_account.is_(True)
                   & (User.agency_id == SchoolNotice.school_agency_id))
        .where(SchoolNotice.id == notice_id)).first()
    if row is None:
        return None
    # The school's designated contact is the "assignee"; with none, its whole staff is told.
    return Subject(reference=f"SN-{notice_id}", fields={
        "receiver_agency_id": row.school_agency_id, "sender_agency_id": row.sender_agency_id,
        "region_code": row.region_code, "assignee_user_id": row.contact_id})


register_target("school_notice", "schools.notice", "notice_id")
register_kind("school_notice.sent", _l("School notice %(reference)s awaits you"),
              _l("A notice for your school's safeguarding lead awaits in the app. Open it and "
                 "confirm that you received it before the school day starts."),
              ("assignee",))
register_kind("school_notice.received", _l("School notice %(reference)s received"),
              _l("The school confirmed that it received the notice."), ("sender_agency",),
              email=False)
register_kind(ESCALATION, _l("School notice %(reference)s not confirmed in time"),
              _l("A school has not confirmed a notice about a child before the school day "
                 "started."), ("region_coordinators",))


@register_rule("school_notices", order=60)
def escalate_unanswered(*, now: datetime) -> int:
    """Each unanswered notice past its deadline, to the region's coordinators once."""

    due = [Reminder("school_notice", notice_id, ESCALATION, stamp(due_at),
                    EventSpec(ESCALATION, "school_notice", notice_id, {}))
           for notice_id, due_at in overdue_notices(now=now)]
    return once_many(due)
