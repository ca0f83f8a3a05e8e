"""A signed-off closure checklist, for tests of other domains that close a case on the way."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select

from referral.access.scope import acting_as, system_actor
from referral.cases.models import Case
from referral.closure.models import ClosureChecklist
from referral.closure.service import policy
from referral.extensions import db
from referral.models_base import utcnow


def signed_off(case_id: int) -> ClosureChecklist:
    """Every attested item met and signed off by the case's creator (as the system: the test
    is about what follows the close, not the sign-off)."""
    with acting_as(system_actor("test: closure checklist")):
        case = db.session.execute(select(Case).where(Case.id == case_id)).scalar_one()
        row = db.session.execute(select(ClosureChecklist).where(
            ClosureChecklist.case_id == case_id)).scalar_one_or_none()
        if row is None:
            row = ClosureChecklist(case_id=case_id, updated_by_id=case.created_by_id,
                                   checklist_version=policy().version)
            db.session.add(row)
        row.needs_met = row.safety_plan_reviewed = row.told_can_return = True
        row.signed_off_by_id, row.signed_off_at, row.spent_at = (
            case.created_by_id, utcnow(), None)
        db.session.flush()
    return row


@contextmanager
def without_close_guard() -> Iterator[None]:
    """Close cases as before the closure rules, for tests whose cases keep a measure in force or
    an open referral while closed (what follows a close, such as the retention purge)."""
    from referral.cases import hooks
    from referral.closure.service import guard_close

    hooks._CLOSE_GUARDS.remove(guard_close)
    try:
        yield
    finally:
        hooks._CLOSE_GUARDS.append(guard_close)
