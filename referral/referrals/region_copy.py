"""Referrals and incidents keep a copy of their case's place: region (referrals since migration
0007) and district, and incidents both (migration 0013); referrals also whether the case is
closed (migration 0011). See those migrations for why.

A new referral or incident takes its case's place (and closing) when it is flushed; a case
closed or reopened later moves its referrals by a database trigger (status changes are
conditional UPDATE statements the ORM does not see); and a case that moves
region or district moves its referrals and incidents here, in the same flush, so no code path
that adds a row or edits a case can leave a copy behind.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from referral.cases.models import Case, CaseStatus, Incident
from referral.referrals.models import Referral

_PLACE = ("region_code", "district_id")
_cases = Case.__table__


def _place_of(session: Session, case_id: int) -> tuple[str, int | None, bool]:
    """The case's place and whether it is closed: from the session if it holds the case (it
    usually does: the row was made from it), else from the table (bookkeeping, outside the
    actor's scope)."""
    case = session.identity_map.get(identity_key(Case, case_id))
    if isinstance(case, Case) and case.region_code is not None:
        return case.region_code, case.district_id, case.status == CaseStatus.CLOSED
    row = session.connection().execute(
        select(_cases.c.region_code, _cases.c.district_id, _cases.c.status)
        .where(_cases.c.id == case_id)).one()
    return row.region_code, row.district_id, row.status == CaseStatus.CLOSED


@event.listens_for(Session, "before_flush")
def _follow_case_place(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.new):
        if isinstance(obj, Referral | Incident) and obj.case_id is not None:
            obj.region_code, obj.district_id, closed = _place_of(session, obj.case_id)
            if isinstance(obj, Referral):
                obj.case_closed = closed
    for obj in list(session.dirty):
        if not isinstance(obj, Case):
            continue
        state = inspect(obj).attrs
        if any(state[name].history.has_changes() for name in _PLACE):
            place = {"region_code": obj.region_code, "district_id": obj.district_id}
            for model in (Referral, Incident):  # bookkeeping: the case's edit was the check
                table = model.__table__  # type: ignore[attr-defined]
                session.connection().execute(
                    update(table).where(table.c.case_id == obj.id).values(place))
