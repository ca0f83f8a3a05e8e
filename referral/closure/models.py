"""The closure checklist of a case and its manager's sign-off."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from referral.accounts.models import User
from referral.extensions import db
from referral.models_base import UTCDateTime, utcnow


class ClosureChecklist(db.Model):
    """What the lead agency attests before closing a case, and who signed it off.

    Any change clears the sign-off, and a close spends it (``spent_at``): a case reopened and
    closed again needs a new one. Scoped like the case's other child records.
    """

    __tablename__ = "closure_checklists"
    __scoped__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    needs_met: Mapped[bool] = mapped_column(Boolean, default=False)
    # The last contact with the survivor: no contact for the file's period counts as "met".
    last_contact_on: Mapped[date | None] = mapped_column(Date)
    safety_plan_reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    told_can_return: Mapped[bool] = mapped_column(Boolean, default=False)
    checklist_version: Mapped[str] = mapped_column(String(16))
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    spent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    signed_off_by: Mapped[User | None] = relationship(foreign_keys=[signed_off_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def signed_off(self) -> bool:
        return self.signed_off_at is not None and self.spent_at is None
