"""Referral rules: send, answer, work and close a referral; coordinators' moves; expiry.

Every move goes through ``_apply`` below: a check against the lifecycle table, a conditional
``UPDATE … WHERE status = <seen>`` checked by row count, then history, audit and outbox event in
the same transaction. Callers commit (see referral.web.transaction.run_action for the boundary).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from referral.access.permissions import Permission, role_can
from referral.access.scope import Actor
from referral.accounts.models import User
from referral.agencies.models import Agency, AgencyService
from referral.agencies.services import SERVICES
from referral.audit import service as audit
from referral.cases.models import Case, CaseParticipant, RiskLevel
from referral.cases.scope import DATA_CATEGORIES
from referral.cases.service import get_case_for, refuse_read_only
from referral.errors import DomainError, IllegalTransition, NotVisible
from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals import capacity
from referral.referrals.acting import scoped
from referral.referrals.codes import (
    CANCEL_REASONS,
    DECLINE_REASONS,
    FAIL_REASONS,
    HOLD_REASONS,
    LEGAL_GROUNDS,
    OUTCOMES,
    PROGRAMME_EVENTS,
    URGENCIES,
)
from referral.referrals.expiry import expire_overdue_referrals  # noqa: F401 - interface
from referral.referrals.lifecycle import (
    REASSIGN_AS_NEW_FROM,
    REFER_ELSEWHERE_FROM,
    SHARED_STATES,
    Action,
    Side,
    Status,
    check_move,
)
from referral.referrals.models import Referral, ReferralConsent
from referral.referrals.queries import (  # noqa: F401 - part of this module's interface
    case_timeline_for,
    count_new_for,
    get_consent_for,
    get_referral_for,
    list_case_referrals_for,
    list_history_for,
    list_inbox_for,
    list_outbox_for,
    list_region_referrals_for,
    load_referral,
)
from referral.referrals.recording import Move, record_moves

DEFAULT_DEADLINES = {
    "emergency": timedelta(hours=2),
    "urgent": timedelta(hours=24),
    "routine": timedelta(hours=72),
}
PROGRAMME_SERVICE = "correctional_programme"


def deadline_for(urgency: str) -> timedelta:
    """The acceptance time for an urgency, from REFERRAL_DEADLINES (timedelta or hours)."""
    configured = current_app.config.get("REFERRAL_DEADLINES") or DEFAULT_DEADLINES
    value = configured.get(urgency, DEFAULT_DEADLINES[urgency])
    return value if isinstance(value, timedelta) else timedelta(hours=float(value))


def deadline_labels() -> dict[str, str]:
    """'2 h' etc. per urgency, for the send form's hint."""
    out = {}
    for urgency in URGENCIES:
        hours = deadline_for(urgency).total_seconds() / 3600
        out[urgency] = _("%(n)s h", n=f"{hours:g}")
    return out


def default_urgency(risk_level: str | None) -> str:
    """A high-risk case defaults to an emergency referral."""
    return "emergency" if risk_level == RiskLevel.HIGH else "routine"


# --- sending ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentInput:
    consented: bool
    categories: tuple[str, ...] = ()
    valid_until: datetime | None = None
    legal_ground: str | None = None
    legal_ground_text: str = ""


@dataclass(frozen=True)
class ReferralInput:
    case_id: int
    receiver_agency_id: int
    service_code: str
    consent: ConsentInput
    idempotency_key: str
    urgency: str | None = None
    reason: str = ""
    need_to_know: str = ""
    subject_participant_id: int | None = None
    previous_referral_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _case_for_sending(case_id: int) -> Case:
    case = db.session.execute(select(Case).where(Case.id == case_id)).scalar_one_or_none()
    if case is None:
        raise NotVisible("case", case_id)
    return case


@scoped
def load_case_for_sending(actor: Actor, case_id: int) -> Case:
    """The case a referral is sent from (send form); the read is audited."""
    if not role_can(actor.role, Permission.REFERRAL_SEND):
        raise NotVisible("case", case_id)
    case = get_case_for(actor, case_id)
    refuse_read_only(actor, case)  # a case opened with emergency access is read-only
    return case


@dataclass(frozen=True)
class Capacity:
    total: int
    in_use: int

    @property
    def free(self) -> int:
        return max(self.total - self.in_use, 0)


def capacity_of(agency_id: int) -> Capacity:
    """Shelter places of an agency and how many are in use (directory, accept form)."""
    total = db.session.execute(
        select(Agency.shelter_places).where(Agency.id == agency_id)).scalar_one_or_none()
    return Capacity(total or 0, capacity.places_in_use(agency_id))


def _agency_offering(agency_id: int, service_code: str, field_name: str) -> Agency:
    agency = db.session.execute(
        select(Agency).where(Agency.id == agency_id, Agency.is_active.is_(True))
    ).scalar_one_or_none()
    if agency is None:
        raise DomainError(_("Choose an agency from the directory."), field=field_name)
    offered = db.session.execute(
        select(AgencyService).where(AgencyService.agency_id == agency_id,
                                    AgencyService.service_code == service_code)
    ).first()
    if offered is None:
        raise DomainError(_("This agency does not offer the chosen service."), field=field_name)
    return agency


def _validate_consent(consent: ConsentInput, now: datetime) -> None:
    if consent.consented:
        if not consent.categories or set(consent.categories) - set(DATA_CATEGORIES):
            raise DomainError(_("Choose what the survivor agreed to share."), field="categories")
        if consent.valid_until is not None and consent.valid_until <= now:
            raise DomainError(_("The consent end date must be in the future."),
                              field="consent_until")
        return
    if consent.legal_ground not in LEGAL_GROUNDS:
        raise DomainError(_("Without the survivor's consent, choose the legal ground for "
                            "sending this referral."), field="legal_ground")
    if not consent.legal_ground_text.strip():
        raise DomainError(_("Explain the legal ground."), field="legal_ground_text")


def _validate_send(actor: Actor, data: ReferralInput, now: datetime) -> tuple[Case, str]:
    case = _case_for_sending(data.case_id)
    refuse_read_only(actor, case)  # a case opened with emergency access is read-only
    if data.service_code not in SERVICES:
        raise DomainError(_("Choose a service."), field="service_code")
    if data.receiver_agency_id == actor.agency_id:
        raise DomainError(_("Choose another agency than your own."), field="receiver_agency_id")
    _agency_offering(data.receiver_agency_id, data.service_code, "receiver_agency_id")
    urgency = data.urgency or default_urgency(case.risk_level)
    if urgency not in URGENCIES:
        raise DomainError(_("Choose the urgency."), field="urgency")
    if not data.reason.strip():
        raise DomainError(_("Give a short reason for the referral."), field="reason")
    _validate_consent(data.consent, now)
    if data.subject_participant_id is not None:
        _check_participant(data)
    if data.previous_referral_id is not None:
        _check_previous(actor, data)
    return case, urgency


def _check_participant(data: ReferralInput) -> None:
    participant = db.session.execute(
        select(CaseParticipant).where(CaseParticipant.id == data.subject_participant_id,
                                      CaseParticipant.case_id == data.case_id)
    ).scalar_one_or_none()
    offender = data.service_code == PROGRAMME_SERVICE
    if participant is None or (participant.role == "alleged_offender") != offender:
        raise DomainError(_("Choose a person of this case the service is for."),
                          field="subject_participant_id")


def _check_previous(actor: Actor, data: ReferralInput) -> None:
    previous = load_referral(data.previous_referral_id)  # type: ignore[arg-type]
    if (previous.case_id != data.case_id or previous.sender_agency_id != actor.agency_id
            or previous.status not in REFER_ELSEWHERE_FROM):
        raise IllegalTransition(_("Only a declined, expired or failed referral your agency sent "
                                  "can be referred elsewhere."))
    _claim_for_successor(previous)  # one successor per referral (a coordinator may reassign)


def _existing(actor: Actor, key: str) -> Referral | None:
    return db.session.execute(
        select(Referral).where(Referral.sender_user_id == actor.user_id,
                               Referral.idempotency_key == key)
    ).scalar_one_or_none()


@scoped
def send_referral(actor: Actor, *, data: ReferralInput, now: datetime | None = None) -> Referral:
    """Send a referral from a case; the same form submitted twice gives the same referral."""
    if not role_can(actor.role, Permission.REFERRAL_SEND) or actor.agency_id is None:
        raise NotVisible("case", data.case_id)
    if not data.idempotency_key:
        raise DomainError(_("The form has expired; open it again."))
    existing = _existing(actor, data.idempotency_key)
    if existing is not None:
        return existing
    now = now or utcnow()
    case, urgency = _validate_send(actor, data, now)
    referral = Referral(
        idempotency_key=data.idempotency_key, case_id=case.id, region_code=case.region_code,
        sender_agency_id=actor.agency_id,
        sender_user_id=actor.user_id, receiver_agency_id=data.receiver_agency_id,
        service_code=data.service_code, urgency=urgency, risk_level=case.risk_level,
        subject="offender" if data.service_code == PROGRAMME_SERVICE else "survivor",
        subject_participant_id=data.subject_participant_id, reason=data.reason.strip(),
        need_to_know=data.need_to_know.strip(), status=Status.SENT, sent_at=now,
        deadline_at=now + deadline_for(urgency), previous_referral_id=data.previous_referral_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(referral)
            db.session.flush()
    except IntegrityError:
        # The same form, submitted twice at once: the other request created it.
        found = _existing(actor, data.idempotency_key)
        if found is None:
            raise
        return found
    referral.reference = f"R-{now.year}-{referral.id:06d}"
    _add_consent(actor, referral, data.consent, now)
    db.session.flush()
    _record(actor, referral, "send", None, Status.SENT, "sent", now=now,
            reason_code=None if data.consent.consented else data.consent.legal_ground)
    return referral


def _add_consent(actor: Actor, referral: Referral, consent: ConsentInput, now: datetime) -> None:
    row = ReferralConsent(
        referral_id=referral.id, consented=consent.consented,
        shared_with_agency_id=referral.receiver_agency_id,
        categories=sorted(set(consent.categories)) if consent.consented else [],
        valid_until=consent.valid_until if consent.consented else None,
        legal_ground=None if consent.consented else consent.legal_ground,
        legal_ground_text="" if consent.consented else consent.legal_ground_text.strip(),
        recorded_by_id=actor.user_id, recorded_at=now,
    )
    db.session.add(row)
    if not consent.consented:
        audit.record("referral.sent_without_consent", object_type="referral",
                     object_id=referral.id,
                     details={"case_id": referral.case_id, "legal_ground": consent.legal_ground})


@scoped
def refer_elsewhere(actor: Actor, *, referral_id: int, data: ReferralInput,
                    now: datetime | None = None) -> Referral:
    """A new referral for a declined, expired or failed one, linked to it."""
    linked = ReferralInput(**{**data.__dict__, "previous_referral_id": referral_id})
    return send_referral(actor, data=linked, now=now)


# --- moves --------------------------------------------------------------------------------------


def _sides(actor: Actor, referral: Referral) -> set[Side]:
    sides: set[Side] = set()
    if actor.is_system:
        sides.add(Side.SYSTEM)
    if actor.agency_id == referral.sender_agency_id and role_can(actor.role,
                                                                  Permission.REFERRAL_SEND):
        sides.add(Side.SENDER)
    if actor.agency_id == referral.receiver_agency_id and role_can(actor.role,
                                                                    Permission.REFERRAL_RESPOND):
        sides.add(Side.RECEIVER)
    if role_can(actor.role, Permission.REFERRAL_COORDINATE):
        sides.add(Side.COORDINATOR)  # scope already limits them to their regions' referrals
    return sides


def sides_for(actor: Actor, referral: Referral) -> set[Side]:
    return _sides(actor, referral)


def _conflict(referral_id: int, action: Action) -> IllegalTransition:
    """Someone else moved the referral first: say who and what, from a fresh read."""
    current = load_referral(referral_id, fresh=True)
    if action == Action.ACCEPT and current.status in SHARED_STATES and current.accepted_by_id:
        who = db.session.get(User, current.accepted_by_id)
        return IllegalTransition(_(
            "%(name)s already accepted this referral at %(time)s.",
            name=who.full_name if who else "?", time=format_datetime(current.accepted_at, "short")
        ))
    from referral.referrals.lifecycle import status_label

    return IllegalTransition(_("Someone else changed this referral just now; it is now "
                               "%(status)s. Nothing was saved.",
                               status=status_label(current.status).lower()))


def _apply(actor: Actor, referral_id: int, action: Action, *, values: dict[str, Any] | None = None,
           reason_code: str | None = None, note: str = "", now: datetime | None = None,
           extra_event: dict[str, Any] | None = None) -> Referral:
    """Check and make one move with a conditional UPDATE; record it everywhere."""
    now = now or utcnow()
    referral = load_referral(referral_id)
    seen = referral.status
    move = check_move(action, seen, _sides(actor, referral))
    values = dict(values or {})
    if move.target is not None:
        values["status"] = move.target
    result = db.session.execute(
        update(Referral).where(Referral.id == referral_id, Referral.status == seen)
        .values(version=Referral.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise _conflict(referral_id, action)
    referral = load_referral(referral_id, fresh=True)
    _record(actor, referral, action.value, seen, referral.status, move.event, now=now,
            reason_code=reason_code, note=note, extra_event=extra_event)
    return referral


def _record(actor: Actor, referral: Referral, action: str, from_status: str | None,
            to_status: str | None, event: str, *, now: datetime, reason_code: str | None = None,
            note: str = "", extra_event: dict[str, Any] | None = None) -> None:
    record_moves(actor, [Move(referral, action, from_status, to_status, event, reason_code,
                              note, dict(extra_event or {}))], now=now)


def _coded(table: dict, code: str | None, text: str, field_name: str) -> None:
    if code not in table:
        raise DomainError(_("Choose a reason."), field=field_name)
    if code == "other" and not text.strip():
        raise DomainError(_("Explain the reason."), field="text")


def _assignee(referral: Referral, user_id: int) -> int:
    user = db.session.execute(
        select(User).where(User.id == user_id, User.agency_id == referral.receiver_agency_id)
    ).scalar_one_or_none()
    if user is None or not user.is_active or not role_can(user.role,
                                                          Permission.REFERRAL_RESPOND):
        raise DomainError(_("Choose a staff member of your agency."), field="assignee_user_id")
    return user.id


@scoped
def accept_referral(actor: Actor, *, referral_id: int, assignee_user_id: int | None = None,
                    overflow_reason: str = "", text: str = "",
                    now: datetime | None = None) -> Referral:
    """Accept (exactly one acceptance wins); a shelter referral takes a place."""
    now = now or utcnow()
    referral = load_referral(referral_id)
    if referral.status in SHARED_STATES:
        raise _conflict(referral_id, Action.ACCEPT)  # says who accepted, and when
    check_move(Action.ACCEPT, referral.status, _sides(actor, referral))
    assignee = _assignee(referral, assignee_user_id or actor.user_id)  # type: ignore[arg-type]
    place = capacity.needs_place(referral.service_code)
    values: dict[str, Any] = {"accepted_at": now, "accepted_by_id": actor.user_id,
                              "assignee_user_id": assignee, "last_progress_at": now,
                              "holds_place": place}
    with db.session.begin_nested():
        # Claim the referral first: a second acceptor loses here and learns who won.
        referral = _apply(actor, referral_id, Action.ACCEPT, values=values, now=now,
                          note=text.strip())
        if place and capacity.take_place(referral.receiver_agency_id,
                                         overflow_reason=overflow_reason):
            referral.overflow_reason = overflow_reason.strip()
            db.session.flush()
            audit.record("referral.overflow", object_type="referral", object_id=referral.id,
                         details={"case_id": referral.case_id,
                                  "agency_id": referral.receiver_agency_id})
    return referral


@scoped
def decline_referral(actor: Actor, *, referral_id: int, reason_code: str, text: str = "",
                     now: datetime | None = None) -> Referral:
    _coded(DECLINE_REASONS, reason_code, text, "reason_code")
    now = now or utcnow()
    return _apply(actor, referral_id, Action.DECLINE, now=now, reason_code=reason_code,
                  note=text.strip(), values={"decline_reason": reason_code,
                                             "decline_text": text.strip(), "closed_at": now})


def _closing(actor: Actor, referral_id: int, action: Action, values: dict[str, Any], *,
             reason_code: str | None, note: str, now: datetime) -> Referral:
    """A move that ends the work: the shelter place, if one was taken, is given back."""
    referral = load_referral(referral_id)
    holds = referral.holds_place
    values = {**values, "closed_at": now, "holds_place": False}
    with db.session.begin_nested():
        referral = _apply(actor, referral_id, action, values=values, now=now,
                          reason_code=reason_code, note=note)
        if holds:
            capacity.release_place(referral.receiver_agency_id)
    return referral


@scoped
def cancel_referral(actor: Actor, *, referral_id: int, reason_code: str, text: str = "",
                    now: datetime | None = None) -> Referral:
    _coded(CANCEL_REASONS, reason_code, text, "reason_code")
    return _closing(actor, referral_id, Action.CANCEL,
                    {"status_reason": reason_code, "status_text": text.strip()},
                    reason_code=reason_code, note=text.strip(), now=now or utcnow())


@scoped
def enter_in_error(actor: Actor, *, referral_id: int, text: str,
                   now: datetime | None = None) -> Referral:
    """The sending agency says the referral was sent by mistake (FHIR entered-in-error).

    Terminal, unlike a cancellation it counts in no figure (the receiving agency never had a
    real request), so the reason is required: the history and the audit trail keep it.
    """
    if not text.strip():
        raise DomainError(_("Say what the mistake was."), field="text")
    return _closing(actor, referral_id, Action.ENTER_IN_ERROR,
                    {"status_reason": "entered_in_error", "status_text": text.strip()},
                    reason_code=None, note=text.strip(), now=now or utcnow())


@scoped
def complete_referral(actor: Actor, *, referral_id: int, outcome: str, text: str = "",
                      now: datetime | None = None) -> Referral:
    _coded(OUTCOMES, outcome, text, "outcome")
    return _closing(actor, referral_id, Action.COMPLETE,
                    {"outcome": outcome, "outcome_text": text.strip()},
                    reason_code=outcome, note=text.strip(), now=now or utcnow())


@scoped
def fail_referral(actor: Actor, *, referral_id: int, reason_code: str, text: str = "",
                  now: datetime | None = None) -> Referral:
    _coded(FAIL_REASONS, reason_code, text, "reason_code")
    return _closing(actor, referral_id, Action.FAIL,
                    {"status_reason": reason_code, "status_text": text.strip()},
                    reason_code=reason_code, note=text.strip(), now=now or utcnow())


@scoped
def start_progress(actor: Actor, *, referral_id: int, text: str = "",
                   now: datetime | None = None) -> Referral:
    now = now or utcnow()
    return _apply(actor, referral_id, Action.START, now=now, note=text.strip(),
                  values={"last_progress_at": now, "review_at": None})


@scoped
def put_on_hold(actor: Actor, *, referral_id: int, reason_code: str, review_at: datetime | None,
                text: str = "", now: datetime | None = None) -> Referral:
    _coded(HOLD_REASONS, reason_code, text, "reason_code")
    now = now or utcnow()
    if review_at is None or review_at <= now:
        raise DomainError(_("Choose a review date in the future."), field="review_at")
    return _apply(actor, referral_id, Action.HOLD, now=now, reason_code=reason_code,
                  note=text.strip(), values={"review_at": review_at, "last_progress_at": now,
                                             "status_reason": reason_code,
                                             "status_text": text.strip()})


@scoped
def record_programme_event(actor: Actor, *, referral_id: int, kind: str, note: str = "",
                           now: datetime | None = None) -> Referral:
    """A correctional programme provider records enrolment or a session attended or missed."""
    if kind not in PROGRAMME_EVENTS:
        raise DomainError(_("Choose what to record."), field="kind")
    referral = load_referral(referral_id)
    if referral.service_code != PROGRAMME_SERVICE:
        raise IllegalTransition(_("Only a correctional programme referral records sessions."))
    if kind != "enrolled" and referral.programme_enrolled_at is None:
        raise DomainError(_("Record the enrolment first."), field="kind")
    now = now or utcnow()
    values: dict[str, Any] = {"last_progress_at": now}
    if kind == "enrolled":
        values["programme_enrolled_at"] = referral.programme_enrolled_at or now
    elif kind == "attended":
        values["sessions_attended"] = Referral.sessions_attended + 1
    else:
        values["sessions_missed"] = Referral.sessions_missed + 1
    return _apply(actor, referral_id, Action.PROGRAMME, values=values, reason_code=kind,
                  note=note.strip(), now=now)


@scoped
def withdraw_consent(actor: Actor, *, referral_id: int, note: str = "",
                     now: datetime | None = None) -> Referral:
    """The survivor withdraws consent: the receiver's access narrows at once."""
    now = now or utcnow()
    referral = load_referral(referral_id)
    check_move(Action.WITHDRAW_CONSENT, referral.status, _sides(actor, referral))
    changed = db.session.execute(
        update(ReferralConsent)
        .where(ReferralConsent.referral_id == referral_id, ReferralConsent.consented.is_(True),
               ReferralConsent.withdrawn_at.is_(None))
        .values(withdrawn_at=now, withdrawn_by_id=actor.user_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise DomainError(_("There is no consent in force to withdraw."))
    db.session.expire_all()
    _record(actor, referral, Action.WITHDRAW_CONSENT.value, referral.status, referral.status,
            "consent_withdrawn", now=now, note=note.strip())
    return referral


def consent_in_force(consent: ReferralConsent | None, referral: Referral, now: datetime) -> bool:
    """Consent given to the agency that holds the referral now, not withdrawn, not ended."""
    return (consent is not None and consent.shared_with_agency_id == referral.receiver_agency_id
            and consent.is_active(now))


@scoped
def record_consent(actor: Actor, *, referral_id: int, consent: ConsentInput,
                   now: datetime | None = None) -> Referral:
    """Record the survivor's consent for the agency that holds the referral now.

    Consent is given to one agency: after a coordinator reassigns a referral (or after the
    survivor withdrew and agrees again) the receiving agency reads no case data until the
    sending agency records it here. The consent record is replaced; the history and the audit
    trail keep what was there before.
    """
    now = now or utcnow()
    referral = load_referral(referral_id)
    check_move(Action.RECORD_CONSENT, referral.status, _sides(actor, referral))
    if not consent.consented:
        raise DomainError(_("Record consent only when the survivor has agreed."),
                          field="categories")
    _validate_consent(consent, now)
    row = db.session.execute(
        select(ReferralConsent).where(ReferralConsent.referral_id == referral_id)
    ).scalar_one_or_none()
    if consent_in_force(row, referral, now):
        raise DomainError(_("Consent for this agency is already in force."))
    if row is None:
        row = ReferralConsent(referral_id=referral_id)
        db.session.add(row)
    row.consented = True
    row.shared_with_agency_id = referral.receiver_agency_id
    row.categories = sorted(set(consent.categories))
    row.valid_until = consent.valid_until
    row.legal_ground, row.legal_ground_text = None, ""
    row.recorded_by_id, row.recorded_at = actor.user_id, now
    row.withdrawn_at = row.withdrawn_by_id = None
    db.session.flush()
    _record(actor, referral, Action.RECORD_CONSENT.value, referral.status, referral.status,
            "consent_recorded", now=now)
    return referral


# --- coordinators -------------------------------------------------------------------------------


@scoped
def reassign_referral(actor: Actor, *, referral_id: int, receiver_agency_id: int, text: str = "",
                      now: datetime | None = None) -> Referral:
    """Send a referral nobody has taken up to another agency, with a fresh deadline.

    An unanswered referral is redirected as it is. A declined or expired one stays declined or
    expired, in the first agency's figures, and a new referral, linked to it, goes to the new
    agency (FHIR: rejected is terminal; REASSIGN_AS_NEW_FROM); the new one is returned.

    Consent was given for the first agency only: the new one reads the referral, not the case
    data, until the sending agency records consent for it (``record_consent``).
    """
    now = now or utcnow()
    referral = load_referral(referral_id)
    check_move(Action.REASSIGN, referral.status, _sides(actor, referral))
    if receiver_agency_id == referral.receiver_agency_id:
        raise DomainError(_("Choose another agency."), field="receiver_agency_id")
    _agency_offering(receiver_agency_id, referral.service_code, "receiver_agency_id")
    if referral.status in REASSIGN_AS_NEW_FROM:
        return _reassign_as_new(actor, referral, receiver_agency_id, text.strip(), now)
    previous = referral.receiver_agency_id
    return _apply(actor, referral_id, Action.REASSIGN, now=now, note=text.strip(), values={
        "receiver_agency_id": receiver_agency_id, "assignee_user_id": None,
        "deadline_at": now + deadline_for(referral.urgency), "closed_at": None,
        "decline_reason": None, "decline_text": "",
        # Opened by the first agency, not by the new one.
        "received_at": None, "received_by_id": None,
    }, extra_event={"previous_receiver_agency_id": previous})


def successor_of(referral_id: int) -> Referral | None:
    """The referral that replaced this one (a reassignment or a referral elsewhere), if any."""
    return db.session.execute(
        select(Referral).where(Referral.previous_referral_id == referral_id)
        .order_by(Referral.id).limit(1)
    ).scalar_one_or_none()


def _claim_for_successor(referral: Referral) -> None:
    """Take the ended referral for one successor: a conditional UPDATE on its status and
    version (a second reassignment or referral elsewhere at the same moment waits for the row
    and then finds the version moved), then the check that none exists yet."""
    claimed = db.session.execute(
        update(Referral).where(Referral.id == referral.id, Referral.status == referral.status,
                               Referral.version == referral.version)
        .values(version=Referral.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise _conflict(referral.id, Action.REASSIGN)
    found = successor_of(referral.id)
    if found is not None:
        raise IllegalTransition(_("This referral was already replaced by %(ref)s.",
                                  ref=found.reference))


def _reassign_as_new(actor: Actor, old: Referral, receiver_agency_id: int, note: str,
                     now: datetime) -> Referral:
    """The new referral for a declined or expired one: the same case, sender, service, words
    and consent record; "sent" to the new agency with a fresh deadline."""
    seen = old.status
    _claim_for_successor(old)
    new = Referral(
        idempotency_key=f"reassign-{old.id}", case_id=old.case_id, region_code=old.region_code,
        sender_agency_id=old.sender_agency_id, sender_user_id=old.sender_user_id,
        receiver_agency_id=receiver_agency_id, service_code=old.service_code,
        urgency=old.urgency, risk_level=old.risk_level, subject=old.subject,
        subject_participant_id=old.subject_participant_id, reason=old.reason,
        need_to_know=old.need_to_know, status=Status.SENT, sent_at=now,
        deadline_at=now + deadline_for(old.urgency), previous_referral_id=old.id,
    )
    db.session.add(new)
    db.session.flush()
    new.reference = f"R-{now.year}-{new.id:06d}"
    consent = db.session.execute(
        select(ReferralConsent).where(ReferralConsent.referral_id == old.id)
    ).scalar_one_or_none()
    if consent is not None:
        # What the survivor agreed to, for the agency it named: in force for the new agency
        # only once the sender records consent for it (consent_in_force).
        db.session.add(ReferralConsent(
            referral_id=new.id, consented=consent.consented,
            shared_with_agency_id=consent.shared_with_agency_id,
            categories=list(consent.categories or []), valid_until=consent.valid_until,
            legal_ground=consent.legal_ground, legal_ground_text=consent.legal_ground_text,
            recorded_by_id=consent.recorded_by_id, recorded_at=consent.recorded_at,
            withdrawn_at=consent.withdrawn_at, withdrawn_by_id=consent.withdrawn_by_id))
    db.session.flush()
    old = load_referral(old.id, fresh=True)
    # The old one's line says where it went (its event, "superseded", tells no one: its agency
    # has answered); the new one's announces it to the new agency and the sender.
    record_moves(actor, [
        Move(old, Action.REASSIGN.value, seen, seen, "superseded", None, note,
             {"new_referral_id": new.id, "new_receiver_agency_id": receiver_agency_id}),
        Move(new, "reassigned_in", None, Status.SENT, "reassigned", None, note,
             {"previous_referral_id": old.id,
              "previous_receiver_agency_id": old.receiver_agency_id}),
    ], now=now)
    return new


@scoped
def extend_deadline(actor: Actor, *, referral_id: int, deadline_at: datetime, text: str,
                    now: datetime | None = None) -> Referral:
    now = now or utcnow()
    if deadline_at <= now:
        raise DomainError(_("Choose a new deadline in the future."), field="deadline_at")
    if not text.strip():
        raise DomainError(_("Give the reason for the extension."), field="text")
    return _apply(actor, referral_id, Action.EXTEND, now=now, note=text.strip(),
                  values={"deadline_at": deadline_at, "closed_at": None})


@scoped
def escalate_referral(actor: Actor, *, referral_id: int, text: str = "",
                      now: datetime | None = None) -> Referral:
    now = now or utcnow()
    return _apply(actor, referral_id, Action.ESCALATE, now=now, note=text.strip(),
                  values={"escalated_at": now})


# --- the sweep ----------------------------------------------------------------------------------
