"""Sending a referral from a case, and referring an ended one elsewhere."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from referral.access import scoped
from referral.access.permissions import Permission, role_can
from referral.access.scope import Actor
from referral.agencies.catalogue import SERVICES
from referral.agencies.models import Agency
from referral.audit import service as audit
from referral.cases.models import Case, CaseParticipant
from referral.cases.service import get_case_for, refuse_read_only
from referral.errors import DomainError, IllegalTransition, NotVisible
from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals import capacity
from referral.referrals.codes import PROGRAMME_SERVICE, URGENCIES
from referral.referrals.lifecycle import REFER_ELSEWHERE_FROM, Status
from referral.referrals.models import Referral, ReferralConsent
from referral.referrals.queries import load_referral
from referral.referrals.service.consent import ConsentInput, validate_consent
from referral.referrals.service.deadlines import deadline_for, default_urgency
from referral.referrals.service.moves import agency_offering, claim_for_successor, record_move


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


def _validate_send(actor: Actor, data: ReferralInput, now: datetime) -> tuple[Case, str]:
    case = _case_for_sending(data.case_id)
    refuse_read_only(actor, case)  # a case opened with emergency access is read-only
    if data.service_code not in SERVICES:
        raise DomainError(_("Choose a service."), field="service_code")
    if data.receiver_agency_id == actor.agency_id:
        raise DomainError(_("Choose another agency than your own."), field="receiver_agency_id")
    agency_offering(data.receiver_agency_id, data.service_code, "receiver_agency_id")
    urgency = data.urgency or default_urgency(case.risk_level)
    if urgency not in URGENCIES:
        raise DomainError(_("Choose the urgency."), field="urgency")
    if not data.reason.strip():
        raise DomainError(_("Give a short reason for the referral."), field="reason")
    validate_consent(data.consent, now)
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
    claim_for_successor(previous)  # one successor per referral (a coordinator may reassign)


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
    record_move(actor, referral, "send", None, Status.SENT, "sent", now=now,
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
