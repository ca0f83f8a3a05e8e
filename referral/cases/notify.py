"""What the notification engine needs of cases: who hears about a case, and the case reminders.

- Who is told: each case kind below names its audiences; a case's region, lead agency and
  whether it is sealed decide who those are (``register_case_source``): of a sealed case only
  the users named on it hear, and no shared mailbox.
- When: the minute sweep (referral.notifications.reminders.run_all) runs the rule registered
  here: a protective measure ending in 3 days and in 1 day (``remind_measures_ending``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from referral.access.idlist import in_values
from referral.cases.models import AccessRequest, Case, CaseMember, CaseStatus, ProtectiveMeasure
from referral.events.service import EventSpec
from referral.extensions import db
from referral.notifications.config import setting
from referral.notifications.kinds import register_kind
from referral.notifications.recipients import (
    CaseFacts,
    Subject,
    case_facts,
    register_case_source,
    register_subject_loader,
)
from referral.notifications.rules import Reminder, logged_already, once_many, register_rule

MEASURE_ENDING = "reminder.protective_measure_ending"

# --- who is told -------------------------------------------------------------------------------
register_kind("case.high_risk", _l("Case %(reference)s assessed as high risk"),
              _l("A case in your region was assessed as high risk."), ("region_coordinators",))
register_kind("case.repeat", _l("Repeat incident in case %(reference)s"),
              _l("A repeat incident was recorded in a case in your region."),
              ("region_coordinators",), email=False)
register_kind("measure.issued", _l("Protective measure recorded in case %(reference)s"),
              _l("A protective order or special requirement was recorded in a case led by your "
                 "agency."), ("case_owner_agency",), email=False)
register_kind("measure.breach", _l("Breach of a protective measure in case %(reference)s"),
              _l("A breach of a protective order or special requirement was recorded."),
              ("case_owner_agency", "region_coordinators"), mailbox=True)
# An access request names no case to the requester: its reference is the request's own.
register_kind("access_request.created", _l("Access request %(reference)s waits for a decision"),
              _l("Another agency asks for access to a case your agency leads."),
              ("owner_agency_managers",))
register_kind("access_request.granted", _l("Access request %(reference)s granted"),
              _l("Your request for access was granted."), ("requester_user",))
register_kind("access_request.refused", _l("Access request %(reference)s refused"),
              _l("Your request for access was refused."), ("requester_user",))
register_kind(MEASURE_ENDING, _l("Protective measure ending soon in case %(reference)s"),
              _l("A protective order or special requirement in a case led by your agency ends "
                 "soon."), ("case_owner_agency",), mailbox=True)


def read_case_facts(case_ids: list[int]) -> dict[int, CaseFacts]:
    """Region, lead agency, sealing and reference of the cases (one query; run as the system)."""
    return {row.id: CaseFacts(row.region_code, row.owner_agency_id, row.restricted,
                              row.reference)
            for row in db.session.execute(
                select(Case.id, Case.reference, Case.region_code, Case.owner_agency_id,
                       Case.restricted).where(in_values(Case.id, case_ids)))}


def read_case_members(case_ids: list[int]) -> dict[int, frozenset[int]]:
    """The users named on each case: of a sealed case, only they are told."""
    members: dict[int, set[int]] = {c: set() for c in case_ids}
    for case_id, user_id in db.session.execute(
            select(CaseMember.case_id, CaseMember.user_id)
            .where(in_values(CaseMember.case_id, case_ids))):
        members[case_id].add(user_id)
    return {case_id: frozenset(users) for case_id, users in members.items()}


register_case_source(facts=read_case_facts, members=read_case_members,
                     forget_on=(Case, CaseMember))


@register_subject_loader("case")
def load_case_subject(case_id: int) -> Subject | None:
    reference = case_facts(case_id).reference
    return Subject(reference=reference, case_id=case_id) if reference else None


@register_subject_loader("access_request")
def load_access_request_subject(request_id: int) -> Subject | None:
    """No case id or case reference: the requester must not learn which case it is."""
    row = db.session.execute(
        select(AccessRequest.owner_agency_id, AccessRequest.requester_user_id)
        .where(AccessRequest.id == request_id)).first()
    if row is None:
        return None
    return Subject(reference=f"AR-{request_id}", fields={
        "owner_agency_id": row.owner_agency_id, "requester_user_id": row.requester_user_id})


# --- protective measures ending ----------------------------------------------------------------


def _local_today(now: datetime) -> date:
    return now.astimezone(ZoneInfo(setting("NOTIFY_DIGEST_TIMEZONE"))).date()


def _ending_within(today: date, days: int) -> list:
    """Active measures of open cases ending within ``days`` of ``today`` (id, case, end)."""
    return db.session.execute(
        select(ProtectiveMeasure.id, ProtectiveMeasure.case_id, ProtectiveMeasure.ends_on)
        .join(Case, Case.id == ProtectiveMeasure.case_id)
        .where(ProtectiveMeasure.status == "active", Case.status != CaseStatus.CLOSED,
               ProtectiveMeasure.ends_on >= today,
               ProtectiveMeasure.ends_on <= today + timedelta(days=days))
        .order_by(ProtectiveMeasure.ends_on)
    ).all()


@register_rule("measures", order=40)
def remind_measures_ending(*, now: datetime) -> int:
    """A protective order or special requirement ending in 3 days and in 1 day → lead agency."""
    today = _local_today(now)
    days_before = sorted(setting("NOTIFY_MEASURE_ENDING_DAYS"))
    ending = _ending_within(today, days_before[-1])
    done = logged_already("protective_measure", MEASURE_ENDING, [m.id for m in ending])
    due: list[Reminder] = []
    for measure in ending:
        left = (measure.ends_on - today).days
        days = next(d for d in days_before if left <= d)
        threshold = f"{days}d@{measure.ends_on.isoformat()}"
        if (measure.id, threshold) not in done:
            due.append(Reminder("protective_measure", measure.id, MEASURE_ENDING, threshold,
                                EventSpec(MEASURE_ENDING, "case", measure.case_id, {
                                    "case_id": measure.case_id, "measure_id": measure.id,
                                    "days": days})))
    return once_many(due)
