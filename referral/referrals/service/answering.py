"""The receiving agency's answer and work, and the sender's cancellation or correction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from referral.access import scoped
from referral.access.permissions import Permission, role_can
from referral.access.scope import Actor
from referral.accounts.models import User
from referral.audit import service as audit
from referral.errors import DomainError, IllegalTransition
from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals import capacity
from referral.referrals.codes import (
    CANCEL_REASONS,
    DECLINE_REASONS,
    FAIL_REASONS,
    HOLD_REASONS,
    OUTCOMES,
    PROGRAMME_EVENTS,
    PROGRAMME_SERVICE,
)
from referral.referrals.lifecycle import SHARED_STATES, Action, check_move
from referral.referrals.models import Referral
from referral.referrals.queries import load_referral
from referral.referrals.service.moves import apply_move, check_coded, conflict, sides_for


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
        raise conflict(referral_id, Action.ACCEPT)  # says who accepted, and when
    check_move(Action.ACCEPT, referral.status, sides_for(actor, referral))
    assignee = _assignee(referral, assignee_user_id or actor.user_id)  # type: ignore[arg-type]
    place = capacity.needs_place(referral.service_code)
    values: dict[str, Any] = {"accepted_at": now, "accepted_by_id": actor.user_id,
                              "assignee_user_id": assignee, "last_progress_at": now,
                              "holds_place": place}
    with db.session.begin_nested():
        # Claim the referral first: a second acceptor loses here and learns who won.
        referral = apply_move(actor, referral_id, Action.ACCEPT, values=values, now=now,
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
    check_coded(DECLINE_REASONS, reason_code, text, "reason_code")
    now = now or utcnow()
    return apply_move(actor, referral_id, Action.DECLINE, now=now, reason_code=reason_code,
                  note=text.strip(), values={"decline_reason": reason_code,
                                             "decline_text": text.strip(), "closed_at": now})


def _closing(actor: Actor, referral_id: int, action: Action, values: dict[str, Any], *,
             reason_code: str | None, note: str, now: datetime) -> Referral:
    """A move that ends the work: the shelter place, if one was taken, is given back."""
    referral = load_referral(referral_id)
    holds = referral.holds_place
    values = {**values, "closed_at": now, "holds_place": False}
    with db.session.begin_nested():
        referral = apply_move(actor, referral_id, action, values=values, now=now,
                          reason_code=reason_code, note=note)
        if holds:
            capacity.release_place(referral.receiver_agency_id)
    return referral


@scoped
def cancel_referral(actor: Actor, *, referral_id: int, reason_code: str, text: str = "",
                    now: datetime | None = None) -> Referral:
    check_coded(CANCEL_REASONS, reason_code, text, "reason_code")
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
    check_coded(OUTCOMES, outcome, text, "outcome")
    return _closing(actor, referral_id, Action.COMPLETE,
                    {"outcome": outcome, "outcome_text": text.strip()},
                    reason_code=outcome, note=text.strip(), now=now or utcnow())


@scoped
def fail_referral(actor: Actor, *, referral_id: int, reason_code: str, text: str = "",
                  now: datetime | None = None) -> Referral:
    check_coded(FAIL_REASONS, reason_code, text, "reason_code")
    return _closing(actor, referral_id, Action.FAIL,
                    {"status_reason": reason_code, "status_text": text.strip()},
                    reason_code=reason_code, note=text.strip(), now=now or utcnow())


@scoped
def start_progress(actor: Actor, *, referral_id: int, text: str = "",
                   now: datetime | None = None) -> Referral:
    now = now or utcnow()
    return apply_move(actor, referral_id, Action.START, now=now, note=text.strip(),
                  values={"last_progress_at": now, "review_at": None})


@scoped
def put_on_hold(actor: Actor, *, referral_id: int, reason_code: str, review_at: datetime | None,
                text: str = "", now: datetime | None = None) -> Referral:
    check_coded(HOLD_REASONS, reason_code, text, "reason_code")
    now = now or utcnow()
    if review_at is None or review_at <= now:
        raise DomainError(_("Choose a review date in the future."), field="review_at")
    return apply_move(actor, referral_id, Action.HOLD, now=now, reason_code=reason_code,
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
    return apply_move(actor, referral_id, Action.PROGRAMME, values=values, reason_code=kind,
                  note=note.strip(), now=now)
