"""Referral bodies and answers of the API: the send form, the actions, the lists and one referral.

Codes are enums built from the project's code lists (referral.referrals.codes, the lifecycle,
the service catalogue), so the OpenAPI document names every value a client may send or read.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

from referral.agencies.catalogue import SERVICES
from referral.api.paging import PageQuery
from referral.cases.sharing import DATA_CATEGORIES
from referral.referrals import codes
from referral.referrals.lifecycle import Action, Status

MAX_TEXT = 4000


def _codes(name: str, table: Any) -> type[enum.StrEnum]:
    return enum.StrEnum(name, {code: code for code in table})


ServiceCode = _codes("ServiceCode", SERVICES)
Urgency = _codes("Urgency", codes.URGENCIES)
Subject = _codes("ReferralSubject", codes.SUBJECTS)
DataCategory = _codes("DataCategory", DATA_CATEGORIES)
LegalGround = _codes("LegalGround", codes.LEGAL_GROUNDS)
DeclineReason = _codes("DeclineReason", codes.DECLINE_REASONS)
CancelReason = _codes("CancelReason", codes.CANCEL_REASONS)
Outcome = _codes("Outcome", codes.OUTCOMES)
ReferralStatus = Status
ReferralAction = Action


# --- sending --------------------------------------------------------------------------------


class ConsentIn(BaseModel):
    """The survivor's consent: which data categories the receiving agency may read, and until
    when (absent: until the referral closes or consent is withdrawn)."""

    categories: list[DataCategory] = Field(min_length=1)
    valid_until: AwareDatetime | None = Field(None, description="With its time zone.")


class LegalGroundIn(BaseModel):
    """Sending without consent: the legal ground and why it applies (audited)."""

    code: LegalGround
    explanation: str = Field(min_length=1, max_length=MAX_TEXT)


class SendReferral(BaseModel):
    """What the web's send form asks: exactly one of ``consent`` and ``legal_ground``."""

    case_id: int
    receiver_agency_id: int
    service: ServiceCode
    urgency: Urgency | None = Field(
        None, description="Absent: from the case's risk level, as the form proposes.")
    reason: str = Field(min_length=1, max_length=MAX_TEXT)
    need_to_know: str = Field("", max_length=MAX_TEXT)
    subject_participant_id: int | None = Field(
        None, description="The person of the case the service is for (required for a "
                          "correctional programme: the alleged offender).")
    previous_referral_id: int | None = Field(
        None, description="A declined, expired or failed referral this one replaces.")
    consent: ConsentIn | None = None
    legal_ground: LegalGroundIn | None = None

    @model_validator(mode="after")
    def _consent_or_ground(self) -> SendReferral:
        if (self.consent is None) == (self.legal_ground is None):
            raise ValueError("send either 'consent' or 'legal_ground'")
        return self


# --- actions --------------------------------------------------------------------------------


class AcceptBody(BaseModel):
    assignee_user_id: int | None = Field(
        None, description="Who works on it (staff of the receiving agency); absent: the caller.")
    overflow_reason: str = Field("", max_length=MAX_TEXT,
                                 description="Why a shelter takes it with no free place.")
    note: str = Field("", max_length=MAX_TEXT)


class DeclineBody(BaseModel):
    reason_code: DeclineReason
    note: str = Field("", max_length=MAX_TEXT, description="Required when the reason is other.")


class NoteBody(BaseModel):
    note: str = Field("", max_length=MAX_TEXT)


class CompleteBody(BaseModel):
    outcome: Outcome
    note: str = Field("", max_length=MAX_TEXT, description="Required when the outcome is other.")


class CancelBody(BaseModel):
    reason_code: CancelReason
    note: str = Field("", max_length=MAX_TEXT, description="Required when the reason is other.")


class ProgressNoteBody(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    corrects_id: int | None = Field(None, description="A note of the caller's agency this one "
                                                      "corrects (notes are never changed).")


# --- lists ----------------------------------------------------------------------------------


class ReferralListQuery(PageQuery):
    """Filters of the inbox and the outbox (newest first, by sending time and id)."""

    status: list[ReferralStatus] | None = Field(
        None, description="Any of these statuses (repeat the parameter). The inbox, without "
                          "it, lists the open referrals as the page does; the outbox all.")
    overdue: bool | None = Field(None, description="Unanswered past the answer deadline.")
    service: ServiceCode | None = None
    urgency: Urgency | None = None
    agency_id: int | None = Field(None, description="The other agency: the sender in the "
                                                    "inbox, the receiver in the outbox.")

    @field_validator("status", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class AgencyRef(BaseModel):
    id: int
    name: str


class ReferralSummary(BaseModel):
    """A line of the inbox or the outbox."""

    id: int
    reference: str | None
    status: ReferralStatus
    status_label: str
    service: str
    urgency: str
    sender_agency: AgencyRef
    receiver_agency: AgencyRef
    sent_at: datetime
    deadline_at: datetime
    overdue: bool
    received_at: datetime | None
    closed_at: datetime | None
    version: int


class ConsentOut(BaseModel):
    consented: bool
    categories: list[str]
    valid_until: datetime | None
    withdrawn_at: datetime | None
    legal_ground: str | None
    legal_ground_text: str
    in_force: bool = Field(description="Given to the agency that holds the referral now, "
                                       "not withdrawn, not ended.")


class Closing(BaseModel):
    """How the referral ended, as its page's outcome panel says."""

    outcome: str | None
    outcome_text: str
    decline_reason: str | None
    decline_text: str
    status_reason: str | None
    status_text: str


class Referral(BaseModel):
    """One referral as its page shows it to the caller.

    ``case_id`` is given only where the page links the case (the sending agency, coordinators,
    and the receiving agency once it has taken the referral up); ``case_categories`` are the
    data categories of the case the caller may read (for a receiving agency: what the survivor
    consented to share with it, while consent lasts).
    """

    id: int
    reference: str | None
    status: ReferralStatus
    status_label: str
    service: str
    subject: str
    urgency: str
    risk_level: str | None
    sender_agency: AgencyRef
    receiver_agency: AgencyRef
    case_id: int | None
    case_categories: list[str]
    reason: str
    need_to_know: str
    sent_at: datetime
    deadline_at: datetime
    received_at: datetime | None
    accepted_at: datetime | None
    assignee_user_id: int | None
    review_at: datetime | None
    closed_at: datetime | None
    escalated_at: datetime | None
    closing: Closing
    consent: ConsentOut | None
    previous_referral_id: int | None
    successor_id: int | None
    sides: list[str] = Field(description="The parts the caller plays: sender, receiver, "
                                         "coordinator.")
    allowed_actions: list[ReferralAction] = Field(
        description="The moves the caller may make now (the service checks again).")
    version: int


class HistoryEntry(BaseModel):
    id: int
    action: str
    label: str
    from_status: str | None
    to_status: str | None
    reason_code: str | None
    note: str
    actor_user_id: int | None
    actor_agency_id: int | None
    at: datetime


class History(BaseModel):
    items: list[HistoryEntry]


class ProgressNote(BaseModel):
    id: int
    agency: AgencyRef
    author_user_id: int
    author_name: str
    body: str
    corrects_id: int | None
    created_at: datetime


class ProgressNotes(BaseModel):
    items: list[ProgressNote]
