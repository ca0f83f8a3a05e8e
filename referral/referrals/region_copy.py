"""Referrals keep a copy of their case's region (see migration 0007 for why).

The copy is set when a referral is sent and moved here, in the same flush, when a case's region
changes, so no code path that edits a case can leave its referrals behind.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session

from referral.cases.models import Case
from referral.referrals.models import Referral


@event.listens_for(Session, "before_flush")
def _follow_case_region(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty):
        if not isinstance(obj, Case):
            continue
        history = inspect(obj).attrs.region_code.history
        if history.added and history.deleted:
            session.execute(
                update(Referral.__table__).where(Referral.__table__.c.case_id == obj.id)
                .values(region_code=obj.region_code))
