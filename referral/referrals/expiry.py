"""Expiry: referrals nobody answered before their deadline (run by the minute sweep)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from referral.access.idlist import in_values
from referral.access.scope import acting_as, system_actor
from referral.extensions import db
from referral.referrals.lifecycle import Action, Status
from referral.referrals.models import Referral
from referral.referrals.recording import Move, record_moves

BATCH = 500


def expire_overdue_referrals(*, now: datetime) -> list[int]:
    """Mark unanswered referrals past their deadline expired; returns their ids.

    Runs in the system scope. Each batch is claimed by one conditional UPDATE … RETURNING (a
    row another sweep took first is simply not returned, so no referral is expired or
    announced twice) and recorded with one flush per kind of row.
    """
    actor = system_actor("referral deadline sweep")
    expired: list[int] = []
    with acting_as(actor):
        due = db.session.execute(
            select(Referral.id).where(Referral.status == Status.SENT, Referral.deadline_at <= now)
            .order_by(Referral.deadline_at)
        ).scalars().all()
        for start in range(0, len(due), BATCH):
            chunk = due[start:start + BATCH]
            # The claimed rows come back whole (ORM-enabled UPDATE … RETURNING), ready for
            # the records and the fan-out: no second read.
            loaded = {r.id: r for r in db.session.execute(
                update(Referral)
                .where(in_values(Referral.id, chunk), Referral.status == Status.SENT,
                       Referral.deadline_at <= now)
                .values(status=Status.EXPIRED, closed_at=now, version=Referral.version + 1)
                .returning(Referral)
                .execution_options(synchronize_session=False, populate_existing=True)
            ).scalars()}
            if not loaded:
                continue
            ordered = [i for i in chunk if i in loaded]
            record_moves(actor, [Move(loaded[i], Action.EXPIRE.value, Status.SENT,
                                      Status.EXPIRED, "expired") for i in ordered], now=now)
            expired.extend(ordered)
    return expired
