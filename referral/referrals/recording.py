"""What every referral move leaves behind: history, a timeline line, an audit row, an event.

One move or many: the deadline sweep expires hundreds of referrals at once, and writing their
rows with one flush per kind of row, not four per referral, keeps the sweep's cost near a few
statements per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from referral.access.scope import Actor
from referral.audit import service as audit
from referral.bulk import insert_rows
from referral.cases.models import TimelineEntry
from referral.cases.service import timeline_values
from referral.events import service as events
from referral.referrals.models import Referral, ReferralHistory


@dataclass(frozen=True)
class Move:
    """One recorded move of one referral."""

    referral: Referral
    action: str
    from_status: str | None
    to_status: str | None
    event: str
    reason_code: str | None = None
    note: str = ""
    extra_event: dict[str, Any] = field(default_factory=dict)


def record_moves(actor: Actor, moves: Sequence[Move], *, now: datetime) -> None:
    """History, timeline, audit and outbox rows for ``moves``, in the caller's transaction."""
    if not moves:
        return
    insert_rows(ReferralHistory.__table__, [_history(actor, move, now) for move in moves])
    insert_rows(TimelineEntry.__table__, [_timeline(actor, move) for move in moves])
    audit.record_many([audit.AuditEntry(
        f"referral.{m.action}", object_type="referral", object_id=m.referral.id,
        details={"case_id": m.referral.case_id, "from": m.from_status, "to": m.to_status,
                 "reason": m.reason_code}) for m in moves])
    events.emit_many([events.EventSpec(
        f"referral.{m.event}", "referral", m.referral.id,
        {"case_id": m.referral.case_id, "sender_agency_id": m.referral.sender_agency_id,
         "receiver_agency_id": m.referral.receiver_agency_id, **m.extra_event}) for m in moves])


def _history(actor: Actor, move: Move, now: datetime) -> dict[str, Any]:
    referral = move.referral
    return {"referral_id": referral.id, "case_id": referral.case_id, "action": move.action,
            "from_status": move.from_status, "to_status": move.to_status,
            "reason_code": move.reason_code, "note": move.note,
            "actor_user_id": actor.user_id, "actor_agency_id": actor.agency_id, "at": now}


def _timeline(actor: Actor, move: Move) -> dict[str, Any]:
    referral = move.referral
    return timeline_values(
        actor, referral.case_id, f"referral.{move.action}", object_type="referral",
        object_id=referral.id, reference=referral.reference, service=referral.service_code,
        status=move.to_status, reason=move.reason_code,
        sender_agency_id=referral.sender_agency_id,
        receiver_agency_id=referral.receiver_agency_id)
