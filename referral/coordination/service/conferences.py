"""Case conferences (MARAC): schedule, agenda, attendance, summaries and minutes. Callers commit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from referral.access import scoped
from referral.access.scope import Actor, acting_as
from referral.agencies.models import Agency, AgencyType
from referral.audit import service as audit
from referral.cases.models import Case, CaseStatus, RiskLevel
from referral.cases.scope import visible_categories
from referral.coordination.coordinators import require_coordinator
from referral.coordination.models import (
    ActionStatus,
    AgendaItem,
    AgendaReason,
    CaseConference,
    ConferenceAction,
    ConferenceAttendance,
    ConferenceStatus,
)
from referral.coordination.service import agenda_criteria
from referral.coordination.service.visible import fetch_visible
from referral.errors import DomainError, NotVisible, StaleEdit
from referral.events import service as events
from referral.extensions import db
from referral.models_base import utcnow

SUMMARY_MAX = 4000
# Categories of a case an agency must be allowed to read to see its discussion in the minutes.
MINUTES_CATEGORIES = frozenset({"risk_assessment"})


@scoped
def get_conference_for(actor: Actor, conference_id: int) -> CaseConference:
    """The conference if the actor may see it (coordinators of its region, attending agencies)."""
    conference = fetch_visible(actor, select(CaseConference).where(
        CaseConference.id == conference_id), "conference", conference_id)
    audit.record("conference.view", object_type="conference", object_id=conference.id)
    return conference


def _coordinated_conference(actor: Actor, conference_id: int) -> CaseConference:
    require_coordinator(actor, "conference")
    return fetch_visible(actor, select(CaseConference).where(
        CaseConference.id == conference_id), "conference", conference_id)


def _scheduled(conference: CaseConference) -> None:
    if conference.status == ConferenceStatus.CANCELLED:
        raise DomainError(_("This conference was cancelled."))


@scoped
def list_conferences_for(actor: Actor, *, limit: int = 100) -> list[CaseConference]:
    with acting_as(actor):
        return list(db.session.execute(
            select(CaseConference).order_by(CaseConference.scheduled_at.desc()).limit(limit)
        ).scalars())


def region_agencies(region_code: str) -> list[Agency]:
    """Active agencies of a region that can take part (not the coordination office itself)."""
    return list(db.session.execute(
        select(Agency).where(Agency.region_code == region_code, Agency.is_active.is_(True),
                             Agency.type != AgencyType.COORDINATION).order_by(Agency.name)
    ).scalars())


@scoped
def schedule_conference(actor: Actor, *, region_code: str, scheduled_at: datetime,
                        location: str = "") -> CaseConference:
    """Schedule a conference; every active agency of the region is invited, and the cases with
    open actions from the region's last conference start its agenda."""
    require_coordinator(actor, "conference")
    if region_code not in actor.region_ids:
        raise NotVisible("region", region_code)
    if scheduled_at.tzinfo is None:
        raise DomainError(_("Enter the date and time of the conference."), field="scheduled_at")
    previous = _last_conference(actor, region_code, before=scheduled_at)
    conference = CaseConference(region_code=region_code, scheduled_at=scheduled_at,
                                location=location.strip()[:200], created_by_id=actor.user_id,
                                status=ConferenceStatus.SCHEDULED)
    db.session.add(conference)
    db.session.flush()
    for agency in region_agencies(region_code):
        db.session.add(ConferenceAttendance(conference_id=conference.id, agency_id=agency.id,
                                            attended=False))
    if previous is not None:
        for case_id in _open_action_case_ids(actor, previous.id):
            _add_item(actor, conference, case_id, AgendaReason.OPEN_ACTIONS)
    db.session.flush()
    audit.record("conference.schedule", object_type="conference", object_id=conference.id,
                 details={"region": region_code})
    return conference


def _last_conference(actor: Actor, region_code: str, *, before: datetime) -> CaseConference | None:
    with acting_as(actor):
        return db.session.execute(
            select(CaseConference).where(
                CaseConference.region_code == region_code,
                CaseConference.status != ConferenceStatus.CANCELLED,
                CaseConference.scheduled_at < before,
            ).order_by(CaseConference.scheduled_at.desc()).limit(1)
        ).scalar_one_or_none()


@scoped
def previous_conference(actor: Actor, conference: CaseConference) -> CaseConference | None:
    return _last_conference(actor, conference.region_code, before=conference.scheduled_at)


def _open_action_case_ids(actor: Actor, conference_id: int) -> list[int]:
    with acting_as(actor):
        return list(db.session.execute(
            select(ConferenceAction.case_id).where(
                ConferenceAction.conference_id == conference_id,
                ConferenceAction.status == ActionStatus.OPEN,
            ).distinct()
        ).scalars())


@scoped
def open_actions_of(actor: Actor, conference_id: int) -> list[ConferenceAction]:
    with acting_as(actor):
        return list(db.session.execute(
            select(ConferenceAction).where(
                ConferenceAction.conference_id == conference_id,
                ConferenceAction.status == ActionStatus.OPEN,
            ).order_by(ConferenceAction.due_on, ConferenceAction.id)
        ).unique().scalars())


def _visible_case(actor: Actor, case_id: int) -> Case:
    """A case the coordinator sees; restricted cases never go on an agenda."""
    case = fetch_visible(actor, select(Case).where(Case.id == case_id), "case", case_id)
    if case.restricted:
        raise NotVisible("case", case_id)
    return case


def _add_item(actor: Actor, conference: CaseConference, case_id: int,
              reason: str) -> AgendaItem:
    case = _visible_case(actor, case_id)
    if case.region_code != conference.region_code:
        raise DomainError(_("This case belongs to another region's conference."))
    with acting_as(actor):
        existing = db.session.execute(select(AgendaItem).where(
            AgendaItem.conference_id == conference.id, AgendaItem.case_id == case.id
        )).scalar_one_or_none()
        if existing is not None:
            return existing
        last = db.session.execute(select(func.max(AgendaItem.position)).where(
            AgendaItem.conference_id == conference.id)).scalar_one()
    item = AgendaItem(conference_id=conference.id, case_id=case.id, case_reference=case.reference,
                      reason=reason, position=(last or 0) + 1, summary="",
                      added_by_id=actor.user_id)
    db.session.add(item)
    db.session.flush()
    audit.record("conference.agenda_add", object_type="case", object_id=case.id,
                 details={"conference_id": conference.id, "reason": reason})
    return item


@scoped
def add_case_to_agenda(actor: Actor, *, conference_id: int, case_id: int,
                       reason: str = AgendaReason.COORDINATOR) -> AgendaItem:
    conference = _coordinated_conference(actor, conference_id)
    _scheduled(conference)
    if reason not in set(AgendaReason):
        raise DomainError(_("Unknown reason."))
    return _add_item(actor, conference, case_id, reason)


@scoped
def next_conference(actor: Actor, region_code: str, now: datetime) -> CaseConference | None:
    with acting_as(actor):
        return db.session.execute(
            select(CaseConference).where(
                CaseConference.region_code == region_code,
                CaseConference.status == ConferenceStatus.SCHEDULED,
                CaseConference.scheduled_at >= now - timedelta(hours=12),
            ).order_by(CaseConference.scheduled_at).limit(1)
        ).scalar_one_or_none()


@scoped
def add_case_to_next_conference(actor: Actor, *, case_id: int,
                                now: datetime | None = None) -> AgendaItem:
    """The overdue review's "add to the next case conference" action."""
    require_coordinator(actor, "case")
    case = _visible_case(actor, case_id)
    conference = next_conference(actor, case.region_code, now or utcnow())
    if conference is None:
        raise DomainError(_("No case conference is scheduled for this region. "
                            "Schedule one first."))
    return _add_item(actor, conference, case.id, AgendaReason.COORDINATOR)


@scoped
def remove_agenda_item(actor: Actor, *, item_id: int) -> None:
    item = get_agenda_item_for(actor, item_id, coordinator=True)
    with acting_as(actor):
        has_actions = db.session.execute(select(func.count()).select_from(ConferenceAction).where(
            ConferenceAction.agenda_item_id == item.id)).scalar_one()
    if has_actions:
        raise DomainError(_("Actions were assigned for this case; it stays on the agenda."))
    audit.record("conference.agenda_remove", object_type="case", object_id=item.case_id,
                 details={"conference_id": item.conference_id})
    db.session.delete(item)
    db.session.flush()


@scoped
def get_agenda_item_for(actor: Actor, item_id: int, *, coordinator: bool = False) -> AgendaItem:
    if coordinator:
        require_coordinator(actor, "agenda_item")
    return fetch_visible(actor, select(AgendaItem).where(AgendaItem.id == item_id),
                         "agenda_item", item_id)


@scoped
def list_agenda(actor: Actor, conference_id: int) -> list[AgendaItem]:
    with acting_as(actor):
        return list(db.session.execute(
            select(AgendaItem).where(AgendaItem.conference_id == conference_id)
            .order_by(AgendaItem.position, AgendaItem.id)
        ).scalars())


def _int_ids(values: Iterable[object]) -> list[int]:
    return sorted({int(v) for v in values if v not in (None, "")})  # type: ignore[call-overload]


@dataclass
class Proposal:
    case_id: int
    reference: str
    risk_level: str | None
    reasons: list[str] = field(default_factory=list)


@scoped
def propose_agenda(actor: Actor, *, conference_id: int,
                   now: datetime | None = None) -> list[Proposal]:
    """Qualifying cases of the region not yet on the agenda (high risk, repeat, expired referral,
    professional judgement), each with its reasons. Restricted and closed cases never qualify."""
    conference = _coordinated_conference(actor, conference_id)
    now = now or utcnow()
    with acting_as(actor):
        found = agenda_criteria.qualifying_cases(conference.region_code, now)
        if not found:
            return []
        on_agenda = set(db.session.execute(select(AgendaItem.case_id).where(
            AgendaItem.conference_id == conference.id)).scalars())
        rows = db.session.execute(
            select(Case.id, Case.reference, Case.risk_level).where(
                Case.id.in_(sorted(found)), Case.restricted.is_(False),
                Case.status != CaseStatus.CLOSED, Case.region_code == conference.region_code,
            )
        ).all()
    order = list(AgendaReason)
    proposals = [Proposal(r.id, r.reference, r.risk_level,
                          sorted(found[r.id], key=order.index))
                 for r in rows if r.id not in on_agenda]
    proposals.sort(key=lambda p: (p.risk_level != RiskLevel.HIGH, -len(p.reasons), p.reference))
    return proposals


@scoped
def record_attendance(actor: Actor, *, conference_id: int, attended_agency_ids: list[int]) -> None:
    """Mark which invited agencies attended; the minutes are shared with exactly those."""
    conference = _coordinated_conference(actor, conference_id)
    _scheduled(conference)
    wanted = set(_int_ids(attended_agency_ids))
    with acting_as(actor):
        rows = list(db.session.execute(select(ConferenceAttendance).where(
            ConferenceAttendance.conference_id == conference.id)).unique().scalars())
    unknown = wanted - {r.agency_id for r in rows}
    if unknown:
        raise DomainError(_("Choose agencies invited to this conference."), field="agencies")
    for row in rows:
        row.attended = row.agency_id in wanted
    db.session.flush()
    audit.record("conference.attendance", object_type="conference", object_id=conference.id,
                 details={"attended": sorted(wanted)})


@scoped
def list_attendance(actor: Actor, conference_id: int) -> list[ConferenceAttendance]:
    with acting_as(actor):
        rows = db.session.execute(select(ConferenceAttendance).where(
            ConferenceAttendance.conference_id == conference_id)).unique().scalars()
        return sorted(rows, key=lambda r: r.agency.name)


@scoped
def record_summary(actor: Actor, *, item_id: int, summary: str, expected_version: int) -> None:
    item = get_agenda_item_for(actor, item_id, coordinator=True)
    summary = summary.strip()
    if len(summary) > SUMMARY_MAX:
        raise DomainError(_("The summary is too long."), field="summary")
    result = db.session.execute(
        update(AgendaItem).where(AgendaItem.id == item.id,
                                 AgendaItem.version == expected_version)
        .values(summary=summary, version=expected_version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise StaleEdit(_("Someone else changed this summary while you were editing. "
                          "Their version is shown; apply your change again."))
    db.session.expire(item)
    audit.record("conference.summary", object_type="case", object_id=item.case_id,
                 details={"conference_id": item.conference_id})


@scoped
def mark_held(actor: Actor, *, conference_id: int, now: datetime | None = None) -> None:
    conference = _coordinated_conference(actor, conference_id)
    changed = db.session.execute(
        update(CaseConference).where(CaseConference.id == conference.id,
                                     CaseConference.status == ConferenceStatus.SCHEDULED)
        .values(status=ConferenceStatus.HELD, held_at=now or utcnow(),
                version=CaseConference.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise DomainError(_("This conference is not scheduled any more."))
    db.session.expire(conference)
    audit.record("conference.held", object_type="conference", object_id=conference.id)
    events.emit("conference.minutes_ready", subject_type="conference", subject_id=conference.id,
                region_code=conference.region_code)


@dataclass
class MinutesItem:
    item: AgendaItem
    readable: bool
    actions: list[ConferenceAction]


@scoped
def minutes_for(actor: Actor, conference_id: int) -> tuple[CaseConference, list[MinutesItem]]:
    """The minutes as the actor may read them: each case's discussion only within its consent
    scope for that agency (``visible_categories``); otherwise only the agency's own actions."""
    conference = get_conference_for(actor, conference_id)
    items = list_agenda(actor, conference.id)
    with acting_as(actor):
        actions = list(db.session.execute(select(ConferenceAction).where(
            ConferenceAction.conference_id == conference.id)
            .order_by(ConferenceAction.due_on, ConferenceAction.id)).unique().scalars())
        cases = {c.id: c for c in db.session.execute(
            select(Case).where(Case.id.in_([i.case_id for i in items]))).scalars()}
        result = []
        for item in items:
            case = cases.get(item.case_id)
            readable = case is not None and visible_categories(actor, case) >= MINUTES_CATEGORIES
            own = [a for a in actions if a.agenda_item_id == item.id
                   and (readable or a.agency_id == actor.agency_id)]
            result.append(MinutesItem(item, readable, own))
    audit.record("conference.minutes_view", object_type="conference", object_id=conference.id,
                 details={"cases": [m.item.case_id for m in result if m.readable]})
    return conference, result
