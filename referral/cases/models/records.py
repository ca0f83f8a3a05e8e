"""What agencies record on a case over time: risk assessments, protective measures and their
breaches, notes, the timeline, and other agencies' requests for access."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from referral.agencies.models import Agency
from referral.extensions import db
from referral.models_base import UTCDateTime, utcnow

# --- risk ----------------------------------------------------------------------------------------


class RiskAssessment(db.Model):
    """One completed risk checklist; never edited, so assessments form the case's history."""

    __tablename__ = "risk_assessments"
    __scoped__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    survivor_participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_participants.id")
    )
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    score: Mapped[int] = mapped_column(Integer)
    unknown_count: Mapped[int] = mapped_column(Integer, default=0)
    computed_level: Mapped[str] = mapped_column(String(16))
    override_level: Mapped[str | None] = mapped_column(String(16))
    override_reason: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[str] = mapped_column(String(16))
    medium_from: Mapped[int] = mapped_column(Integer)
    high_from: Mapped[int] = mapped_column(Integer)
    # The instrument version (referral/data/risk_instrument.json) that gave the level, and why
    # (red flags and danger signs answered yes, the group threshold, the rules that decided), so
    # an assessment keeps its meaning when the instrument changes. No default: a row must say.
    instrument_version: Mapped[str] = mapped_column(String(16))
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)
    assessed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


# --- protective measures -------------------------------------------------------------------------


class ProtectiveMeasure(db.Model):
    """A protective order, court special requirements or another measure against the offender."""

    __tablename__ = "protective_measures"
    __scoped__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    measure_type: Mapped[str] = mapped_column(String(40))
    legal_basis: Mapped[str] = mapped_column(String(300), default="")
    against_participant_id: Mapped[int | None] = mapped_column(ForeignKey("case_participants.id"))
    issuing_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    issuing_body: Mapped[str] = mapped_column(String(200), default="")
    document_number: Mapped[str] = mapped_column(String(60), default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    conditions: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | revoked
    revoked_reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    issuing_agency: Mapped[Agency | None] = relationship()
    breaches: Mapped[list[MeasureBreach]] = relationship(order_by="MeasureBreach.occurred_at")

    __mapper_args__ = {"version_id_col": version}

    def in_force_on(self, day: date) -> bool:
        return self.status == "active" and self.starts_on <= day <= self.ends_on


class MeasureBreach(db.Model):
    __tablename__ = "measure_breaches"
    __scoped__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("protective_measures.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    description: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- notes and timeline --------------------------------------------------------------------------


class CaseNote(db.Model):
    """A case note; edits keep the earlier text in CaseNoteRevision (append-only history)."""

    __tablename__ = "case_notes"
    __scoped__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    revisions: Mapped[list[CaseNoteRevision]] = relationship(
        order_by="CaseNoteRevision.id.desc()"
    )

    __mapper_args__ = {"version_id_col": version}


class CaseNoteRevision(db.Model):
    __tablename__ = "case_note_revisions"
    __scoped__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("case_notes.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    replaced_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class TimelineEntry(db.Model):
    """One line of a case's timeline. ``data`` holds ids and codes; text is rendered on display."""

    __tablename__ = "case_timeline"
    __scoped__ = True
    __table_args__ = (Index("ix_case_timeline_case_at", "case_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    category: Mapped[str | None] = mapped_column(String(24))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    data: Mapped[dict] = mapped_column(JSON, default=dict)


# --- access requests -----------------------------------------------------------------------------


class AccessRequest(db.Model):
    """An agency asks the owner of a case it may not see for access (after a duplicate match).

    The requester never learns which case: only the owning agency's name, and the answer.
    """

    __tablename__ = "case_access_requests"
    __scoped__ = True
    __table_args__ = (Index("ix_access_requests_owner_status", "owner_agency_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    from_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    requester_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    requester_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    categories: Mapped[str] = mapped_column(String(120), default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner_agency: Mapped[Agency] = relationship(foreign_keys=[owner_agency_id])
    requester_agency: Mapped[Agency] = relationship(foreign_keys=[requester_agency_id])
