"""Coordinators' moves: redirect a referral nobody took up, give it a new deadline, escalate it."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from referral.access import scoped
from referral.access.scope import Actor
from referral.errors import DomainError
from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals.lifecycle import REASSIGN_AS_NEW_FROM, Action, Status, check_move
from referral.referrals.models import Referral, ReferralConsent
from referral.referrals.queries import load_referral
from referral.referrals.recording import Move, record_moves
from referral.referrals.service.deadlines import deadline_for
from referral.referrals.service.moves import (
    agency_offering,
    apply_move,
    claim_for_successor,
    sides_for,
)


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
    check_move(Action.REASSIGN, referral.status, sides_for(actor, referral))
    if receiver_agency_id == referral.receiver_agency_id:
        raise DomainError(_("Choose another agency."), field="receiver_agency_id")
    agency_offering(receiver_agency_id, referral.service_code, "receiver_agency_id")
    if referral.status in REASSIGN_AS_NEW_FROM:
        return _reassign_as_new(actor, referral, receiver_agency_id, text.strip(), now)
    previous = referral.receiver_agency_id
    return apply_move(actor, referral_id, Action.REASSIGN, now=now, note=text.strip(), values={
        "receiver_agency_id": receiver_agency_id, "assignee_user_id": None,
        "deadline_at": now + deadline_for(referral.urgency), "closed_at": None,
        "decline_reason": None, "decline_text": "",
        # Opened by the first agency, not by the new one.
        "received_at": None, "received_by_id": None,
    }, extra_event={"previous_receiver_agency_id": previous})


def _reassign_as_new(actor: Actor, old: Referral, receiver_agency_id: int, note: str,
                     now: datetime) -> Referral:
    """The new referral for a declined or expired one: the same case, sender, service, words
    and consent record; "sent" to the new agency with a fresh deadline."""
    seen = old.status
    claim_for_successor(old)
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
    return apply_move(actor, referral_id, Action.EXTEND, now=now, note=text.strip(),
                  values={"deadline_at": deadline_at, "closed_at": None})


@scoped
def escalate_referral(actor: Actor, *, referral_id: int, text: str = "",
                      now: datetime | None = None) -> Referral:
    now = now or utcnow()
    return apply_move(actor, referral_id, Action.ESCALATE, now=now, note=text.strip(),
                  values={"escalated_at": now})
