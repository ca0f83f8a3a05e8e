"""Emergency ("break the glass") access: one row per officer and case opened outside their scope.

The row is the grant: the case-sharing source of ``emergency_scope`` reads it (live until
``ends_at``), and the coordinators' review lists it until a coordinator marks it reviewed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from referral.accounts.models import User
from referral.agencies.models import Agency
from referral.cases.models import Case
from referral.extensions import db
from referral.models_base import UTCDateTime, utcnow


class EmergencyAccess(db.Model):
    """An officer opened a case of another agency, read-only, for a limited time, with a reason."""

    __tablename__ = "emergency_access"
    __scoped__ = True
    __table_args__ = (
        # The sharing source: "this user's grants still running", on every case query.
        Index("ix_emergency_access_user_ends", "user_id", "ends_at"),
        Index("ix_emergency_access_case", "case_id"),
        Index("ix_emergency_access_unreviewed", "reviewed_at", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    reason: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    case: Mapped[Case] = relationship(foreign_keys=[case_id])
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    agency: Mapped[Agency] = relationship(foreign_keys=[agency_id])
