"""Heartbeats: when the beat and each sweep last ran, readable by every process (web, CLI).

Not scoped: the rows name jobs, never people. One row per job name, updated in place.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from referral.extensions import db
from referral.models_base import UTCDateTime


class Heartbeat(db.Model):
    """The last run of one periodic job: when, how long, whether it succeeded.

    ``last_ok_at`` keeps the last success when the latest run failed (``ok`` false), so an
    alert can say how long the job has been failing.
    """

    __tablename__ = "heartbeats"
    __unscoped__ = "rows name periodic jobs and their run times, never people or cases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    ok: Mapped[bool] = mapped_column(Boolean, default=True)
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
