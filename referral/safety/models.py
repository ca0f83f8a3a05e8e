"""Safety plans (one row per version) and each case's next risk re-assessment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from referral.extensions import db
from referral.models_base import UTCDateTime, utcnow

# The text fields of a plan, in the order the form and the printout show them (Primero GBV).
PLAN_FIELDS = ("main_concern", "resources", "code_signal", "go_bag", "preparedness",
               "during_violence", "after_leaving")


class SafetyPlan(db.Model):
    """One version of a survivor's safety plan. A review adds a version and never edits one, so
    every earlier plan stays readable; ``is_current`` marks the newest of each survivor."""

    __tablename__ = "safety_plans"
    __scoped__ = True
    __table_args__ = (
        UniqueConstraint("participant_id", "number"),
        # At most one current plan per survivor, and the case page reads them by case.
        Index("uq_safety_plans_current", "participant_id", unique=True,
              postgresql_where=text("is_current"), sqlite_where=text("is_current")),
        Index("ix_safety_plans_case_current", "case_id", "is_current"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("case_participants.id"))
    number: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    # In the survivor's own words.
    main_concern: Mapped[str] = mapped_column(Text, default="")
    resources: Mapped[str] = mapped_column(Text, default="")
    code_signal: Mapped[str] = mapped_column(String(300), default="")
    go_bag: Mapped[str] = mapped_column(Text, default="")
    preparedness: Mapped[str] = mapped_column(Text, default="")
    during_violence: Mapped[str] = mapped_column(Text, default="")
    after_leaving: Mapped[str] = mapped_column(Text, default="")
    # Contact rules the safe contact (cases.SafeContact) does not hold.
    text_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    voicemail_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    partner_knows: Mapped[str] = mapped_column(String(8), default="unknown")  # yes|no|unknown
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReassessmentSchedule(db.Model):
    """When a case's risk is next due to be assessed, kept as assessments and incidents are
    recorded, so that lists and the sweep read one indexed date instead of working it out from
    each case's history."""

    __tablename__ = "reassessment_schedules"
    __scoped__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    level: Mapped[str | None] = mapped_column(String(16))
    assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "interval": the level's period after the last assessment; "incident": a newer incident.
    basis: Mapped[str] = mapped_column(String(16), default="interval")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The reassessment.json version the date was computed with.
    policy_version: Mapped[str] = mapped_column(String(16))
