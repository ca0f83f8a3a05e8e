"""The case itself: one household at risk, owned by the agency that opened it; who is named on
a restricted one; the counter behind its reference."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
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


_OPEN_HIGH = "risk_level = 'high' AND status <> 'closed'"
_UNACCEPTED = f"{_OPEN_HIGH} AND NOT referral_accepted"


class Case(db.Model):
    """A family (household) at risk. Scoped: see referral.cases.scope for who may see it."""

    __tablename__ = "cases"
    __scoped__ = True
    __table_args__ = (
        Index("ix_cases_region_status", "region_code", "status"),
        Index("ix_cases_owner_status", "owner_agency_id", "status"),
        # Active cases of a region: an officer's scope, a region's lists.
        Index("ix_cases_region_active", "region_code", "id",
              postgresql_where=text("status <> 'closed'"), sqlite_where=text("status <> 'closed'")),
        Index("ix_cases_owner_ids", "owner_agency_id", "id"),
        Index("ix_cases_sealed", "id", postgresql_where=text("restricted"),
              sqlite_where=text("restricted")),
        # The minute sweep's high-risk escalation.
        Index("ix_cases_high_risk_open", "high_risk_flagged_at", "id",
              postgresql_where=text(_OPEN_HIGH), sqlite_where=text(_OPEN_HIGH)),
        # An agency's open high-risk cases: its staff's home panel (else PostgreSQL intersects
        # the agency's cases with the nation's open high-risk ones; migration 0037).
        Index("ix_cases_owner_high_risk_open", "owner_agency_id", "high_risk_flagged_at",
              postgresql_where=text(_OPEN_HIGH), sqlite_where=text(_OPEN_HIGH)),
        # A region's open high-risk cases: the coordinator's home panel and overdue review.
        Index("ix_cases_region_high_risk_open", "region_code", "high_risk_flagged_at",
              postgresql_where=text(_OPEN_HIGH), sqlite_where=text(_OPEN_HIGH)),
        # Cases opened per district and risk level in a region (coordinator
        # figures), from the index alone on PostgreSQL.
        Index("ix_cases_region_created", "region_code", "created_at",
              postgresql_include=["id", "district_id", "restricted", "risk_level"]),
        # The open high-risk cases no agency has taken up (the sweep's
        # escalation, the overdue review).
        Index("ix_cases_high_risk_unaccepted", "high_risk_flagged_at", "id",
              postgresql_where=text(_UNACCEPTED), sqlite_where=text(_UNACCEPTED)),
        # The same cases per region (the coordinator's home and review).
        Index("ix_cases_region_high_risk_unaccepted", "region_code", "high_risk_flagged_at",
              "id", postgresql_where=text(_UNACCEPTED), sqlite_where=text(_UNACCEPTED)),
        # PostgreSQL only (SQLite takes no NULLS LAST in an index):
        # ix_cases_region_risk_order, a region's cases in the case list's "high risk first"
        # order (referral.web.database.DATABASE_ONLY_INDEXES).
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.OPEN)
    closed_reason: Mapped[str | None] = mapped_column(String(40))
    # When the case was last closed (None while open): retention periods count from it
    # (referral/retention); reopening clears it.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    address: Mapped[str] = mapped_column(Text, default="")
    languages: Mapped[str] = mapped_column(String(60), default="")
    risk_level: Mapped[str | None] = mapped_column(String(16), index=True)
    high_risk_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    is_repeat: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # Whether any referral of the case was taken up (accepted, in progress, on hold, completed):
    # kept by triggers on referrals, never written by the application.
    referral_accepted: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false"), nullable=False)
    creation_token: Mapped[str | None] = mapped_column(String(36), unique=True)
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
    __unscoped__ = ("user and case ids only, no household data; the case rule itself reads it "
                    "to decide who sees a restricted case, so that rule cannot scope it")
    __unscoped__ = (
        "ids only (case, user); the case rule itself reads these rows, so a rule on them would be "
        "circular")
    __table_args__ = (UniqueConstraint("case_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseSequence(db.Model):
    """Per region and year counter behind readable case references (KZ-75-2026-000123)."""

    __tablename__ = "case_sequences"
    __unscoped__ = "a counter per region and year behind case references: no case data"
    __unscoped__ = "per-region yearly counters behind case references; no case content"

    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)
