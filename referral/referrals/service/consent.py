"""The survivor's consent on a referral: what it must say, and recording or withdrawing it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update

from referral.access import scoped
from referral.access.scope import Actor
from referral.cases.scope import DATA_CATEGORIES
from referral.errors import DomainError
from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals.codes import LEGAL_GROUNDS
from referral.referrals.lifecycle import Action, check_move
from referral.referrals.models import Referral, ReferralConsent
from referral.referrals.queries import load_referral
from referral.referrals.service.moves import record_move, sides_for


@dataclass(frozen=True)
class ConsentInput:
    consented: bool
    categories: tuple[str, ...] = ()
    valid_until: datetime | None = None
    legal_ground: str | None = None
    legal_ground_text: str = ""


def validate_consent(consent: ConsentInput, now: datetime) -> None:
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


@scoped
def withdraw_consent(actor: Actor, *, referral_id: int, note: str = "",
                     now: datetime | None = None) -> Referral:
    """The survivor withdraws consent: the receiver's access narrows at once."""
    now = now or utcnow()
    referral = load_referral(referral_id)
    check_move(Action.WITHDRAW_CONSENT, referral.status, sides_for(actor, referral))
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
    record_move(actor, referral, Action.WITHDRAW_CONSENT.value, referral.status, referral.status,
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
    check_move(Action.RECORD_CONSENT, referral.status, sides_for(actor, referral))
    if not consent.consented:
        raise DomainError(_("Record consent only when the survivor has agreed."),
                          field="categories")
    validate_consent(consent, now)
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
    record_move(actor, referral, Action.RECORD_CONSENT.value, referral.status, referral.status,
            "consent_recorded", now=now)
    return referral
