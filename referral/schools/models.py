"""Schools' safeguarding contacts, children linked to a school, and school notices."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from referral.accounts.models import User
from referral.agencies.models import Agency
from referral.extensions import db
from referral.models_base import UTCDateTime, utcnow

_SENT = "status = 'sent'"


class SchoolContact(db.Model):
    """The designated safeguarding contact of a school (an education agency), chosen by its
    manager: the person a notice is meant for, named on it and in the directory."""

    __tablename__ = "school_contacts"
    __unscoped__ = "directory data: which staff user answers for a school, no case content"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    chosen_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class ChildSchool(db.Model):
    """Which school a child of a case attends. Scoped like the case's other child records."""

    __tablename__ = "child_schools"
    __scoped__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("case_participants.id"), unique=True)
    school_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    linked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    school: Mapped[Agency] = relationship()


class NoticeStatus:
    SENT = "sent"
    RECEIVED = "received"


class SchoolNotice(db.Model):
    """What a school is told after an incident in a child's household, and nothing more: a copy
    made when the incident is recorded, so the school reads it without any reach into the case.

    Scoped (referral.schools.scope): the school's users, and of those who see the case the
    agency that sent it and the region's coordinators.
    """

    __tablename__ = "school_notices"
    __scoped__ = True
    __table_args__ = (
        UniqueConstraint("incident_id", "participant_id", name="uq_school_notices_incident_child"),
        Index("ix_school_notices_school", "school_agency_id", "status", "due_at"),
        Index("ix_school_notices_region", "region_code", "status", "due_at"),
        # The sweep: unanswered notices past their deadline.
        Index("ix_school_notices_sent_due", "due_at", "id",
              postgresql_where=text(_SENT), sqlite_where=text(_SENT)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("case_participants.id"))
    school_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    sender_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    region_code: Mapped[str] = mapped_column(String(8))
    child_name: Mapped[str] = mapped_column(String(400))
    child_birth_date: Mapped[date | None] = mapped_column(Date)
    police_reference: Mapped[str] = mapped_column(String(60), default="")
    incident_date: Mapped[date] = mapped_column(Date)
    child_present: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_agency: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    # Sent without consent: the law protects the child (referral.referrals.codes.LEGAL_GROUNDS),
    # as the calendar file of ``calendar_version`` states.
    legal_ground: Mapped[str] = mapped_column(String(32))
    calendar_version: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=NoticeStatus.SENT)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    school: Mapped[Agency] = relationship(foreign_keys=[school_agency_id])
    received_by: Mapped[User | None] = relationship(foreign_keys=[received_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def reference(self) -> str:
        return f"SN-{self.id}"

    @property
    def overdue(self) -> bool:
        return self.status == NoticeStatus.SENT and self.due_at <= utcnow()
