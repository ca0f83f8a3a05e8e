"""Protective orders and special requirements with an end date, as the reminder sweep needs them.

The cases domain owns the model; this adapter reads ids and dates only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from referral.cases.models import Case, CaseStatus, ProtectiveMeasure
from referral.extensions import db


@dataclass(frozen=True)
class EndingMeasure:
    id: int
    case_id: int
    ends_on: date


def ending_within(today: date, days: int) -> list[EndingMeasure]:
    """Active measures of open cases ending within ``days`` of ``today`` (system scope)."""
    rows = db.session.execute(
        select(ProtectiveMeasure.id, ProtectiveMeasure.case_id, ProtectiveMeasure.ends_on)
        .join(Case, Case.id == ProtectiveMeasure.case_id)
        .where(ProtectiveMeasure.status == "active", Case.status != CaseStatus.CLOSED,
               ProtectiveMeasure.ends_on >= today,
               ProtectiveMeasure.ends_on <= today + timedelta(days=days))
        .order_by(ProtectiveMeasure.ends_on)
    ).all()
    return [EndingMeasure(*row) for row in rows]
