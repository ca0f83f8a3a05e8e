"""Multi-agency case conferences (MARAC): the meeting, its agenda, attendance and actions."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from referral.agencies.models import Agency
from referral.extensions import db
from referral.models_base import UTCDateTime, utcnow


class ConferenceStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


CONFERENCE_STATUS_LABELS = {
    ConferenceStatus.SCHEDULED: _l("Scheduled"),
    ConferenceStatus.HELD: _l("Held"),
    ConferenceStatus.CANCELLED: _l("Cancelled"),
}


class AgendaReason(enum.StrEnum):
    """Why a case is on the agenda (the MARAC referral criteria, plus two of ours)."""

    HIGH_RISK = "high_risk"
    REPEAT = "repeat"
    EXPIRED_REFERRAL = "expired_referral"
    PROFESSIONAL_JUDGEMENT = "professional_judgement"
    OPEN_ACTIONS = "open_actions"
    COORDINATOR = "coordinator"


AGENDA_REASON_LABELS = {
    AgendaReason.HIGH_RISK: _l("High risk"),
    AgendaReason.REPEAT: _l("Repeat incident within 12 months"),
    AgendaReason.EXPIRED_REFERRAL: _l("Expired referral"),
    AgendaReason.PROFESSIONAL_JUDGEMENT: _l("Professional judgement"),
    AgendaReason.OPEN_ACTIONS: _l("Open actions from the last conference"),
    AgendaReason.COORDINATOR: _l("Added by the coordinator"),
}


class ActionStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


ACTION_STATUS_LABELS = {
    ActionStatus.OPEN: _l("Open"),
    ActionStatus.DONE: _l("Done"),
    ActionStatus.CANCELLED: _l("Cancelled"),
}


class CaseConference(db.Model):
    """One meeting of a region's multi-agency risk assessment conference."""

    __tablename__ = "case_conferences"
    __scoped__ = True
    __table_args__ = (Index("ix_case_conferences_region_time", "region_code", "scheduled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    location: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default=ConferenceStatus.SCHEDULED)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        return str(CONFERENCE_STATUS_LABELS.get(ConferenceStatus(self.status), self.status))


class ConferenceAttendance(db.Model):
    """An agency invited to a conference; ``attended`` is recorded at the meeting."""

    __tablename__ = "conference_attendance"
    __scoped__ = True
    __table_args__ = (UniqueConstraint("conference_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("case_conferences.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    attended: Mapped[bool] = mapped_column(Boolean, default=False)

    agency: Mapped[Agency] = relationship(lazy="joined")


class AgendaItem(db.Model):
    """A case discussed at a conference; ``case_reference`` is copied for the minutes."""

    __tablename__ = "conference_agenda_items"
    __scoped__ = True
    __table_args__ = (UniqueConstraint("conference_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("case_conferences.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    case_reference: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str] = mapped_column(Text, default="")
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    @property
    def reason_label(self) -> str:
        return str(AGENDA_REASON_LABELS.get(AgendaReason(self.reason), self.reason))


class ConferenceAction(db.Model):
    """Something an agency agreed to do for a case, by a date; swept and reminded like referrals."""

    __tablename__ = "conference_actions"
    __scoped__ = True
    __table_args__ = (
        Index("ix_conference_actions_agency_status", "agency_id", "status"),
        Index("ix_conference_actions_status_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("case_conferences.id"), index=True)
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("conference_agenda_items.id"),
                                                index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    case_reference: Mapped[str] = mapped_column(String(32))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    description: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date] = mapped_column(Date)  # a local calendar day: due by its end
    status: Mapped[str] = mapped_column(String(16), default=ActionStatus.OPEN)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Idempotency of the reminder sweep: set by a conditional UPDATE, so each fires once.
    due_soon_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    agency: Mapped[Agency] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        return str(ACTION_STATUS_LABELS.get(ActionStatus(self.status), self.status))


# JSON on SQLite, where the table stays empty (the figures are counted from the rows there).
_CODES = JSON().with_variant(JSONB(), "postgresql")
_MICROS = JSON().with_variant(ARRAY(BigInteger()), "postgresql")


class ReferralMonthFigures(db.Model):
    """Agency performance pre-aggregated per region, local month (of sending) and receiving
    agency; kept by database triggers on referrals (PostgreSQL, migration 0019), so that a
    coordinator's year is read from about a thousand rows instead of ten thousand referrals.

    ``accept_micros`` holds every time to accept of the month (microseconds, unordered): the
    median and 90th percentile are exact ranks, and ranks cannot be added up, so the values
    are kept. Restricted cases and referrals entered in error are left out, as in every
    figure. Months follow ``referral_figures_zone()`` (the display zone when migrated; see
    month_rows.py).
    """

    __tablename__ = "referral_month_figures"
    __unscoped__ = (
        "counts per region, month and agency that leave out restricted cases; no single case is "
        "readable")

    region_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    receiver_agency_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    accepted: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    within_deadline: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    completed: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # Opened by the receiving agency (``received_at`` set; migration 0022).
    opened: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    declines: Mapped[dict] = mapped_column(_CODES, default=dict)
    outcomes: Mapped[dict] = mapped_column(_CODES, default=dict)
    accept_micros: Mapped[list] = mapped_column(_MICROS, default=list)
