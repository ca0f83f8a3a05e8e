"""Cases: one household at risk, owned by the agency that opened it."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from referral.agencies.models import Agency, District, Region
from referral.extensions import db
from referral.models_base import UTCDateTime, utcnow


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    MONITORING = "monitoring"
    CLOSED = "closed"


CASE_STATUS_LABELS = {
    CaseStatus.OPEN: _l("Open"),
    CaseStatus.MONITORING: _l("Monitoring"),
    CaseStatus.CLOSED: _l("Closed"),
}


class RiskLevel(enum.StrEnum):
    STANDARD = "standard"
    MEDIUM = "medium"
    HIGH = "high"


RISK_LEVEL_LABELS = {
    RiskLevel.STANDARD: _l("Standard"),
    RiskLevel.MEDIUM: _l("Medium"),
    RiskLevel.HIGH: _l("High"),
}


class Case(db.Model):
    """A family (household) at risk. Scoped: see referral.cases.scope for who may see it."""

    __tablename__ = "cases"
    __scoped__ = True
    __table_args__ = (
        Index("ix_cases_region_status", "region_code", "status"),
        Index("ix_cases_owner_status", "owner_agency_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.OPEN)
    closed_reason: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(Text, default="")
    languages: Mapped[str] = mapped_column(String(60), default="")
    risk_level: Mapped[str | None] = mapped_column(String(16), index=True)
    high_risk_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    is_repeat: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    region: Mapped[Region] = relationship()
    district: Mapped[District | None] = relationship()
    owner_agency: Mapped[Agency] = relationship()

    __mapper_args__ = {"version_id_col": version}


class CaseMember(db.Model):
    """A user named on a restricted case: only they (and no one by role alone) may see it."""

    __tablename__ = "case_members"
    __table_args__ = (UniqueConstraint("case_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseSequence(db.Model):
    """Per region and year counter behind readable case references (KZ-75-2026-000123)."""

    __tablename__ = "case_sequences"

    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)
