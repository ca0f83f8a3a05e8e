"""Legal holds: a case whose data must not be purged while the hold is in force."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from referral.accounts.models import User
from referral.cases.models import Case
from referral.extensions import db
from referral.models_base import UTCDateTime, utcnow

_IN_FORCE = "released_at IS NULL"


class LegalHold(db.Model):
    """A coordinator or agency manager keeps a closed case's data past its retention period
    (a court case, an inquiry). In force until released, by the same roles, with a reason.

    Scoped like the case's other child records (referral.retention.scope).
    """

    __tablename__ = "legal_holds"
    __scoped__ = True
    __table_args__ = (
        # "Is a hold in force on this case?": the purge asks it of every due case.
        Index("ix_legal_holds_case_in_force", "case_id",
              postgresql_where=text(_IN_FORCE), sqlite_where=text(_IN_FORCE)),
        Index("ix_legal_holds_case", "case_id", "placed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    placed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    release_reason: Mapped[str] = mapped_column(Text, default="")

    case: Mapped[Case] = relationship(foreign_keys=[case_id])
    placed_by: Mapped[User] = relationship(foreign_keys=[placed_by_id])
    released_by: Mapped[User | None] = relationship(foreign_keys=[released_by_id])

    @property
    def in_force(self) -> bool:
        return self.released_at is None
