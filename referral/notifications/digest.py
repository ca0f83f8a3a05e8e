"""The daily digest: from 08:00 local time, once per local day, to each active coordinator.

What it counts is registered by the domains that own the figures (``register_digest_count``):
each count runs as the coordinator, so it covers their regions and never a sealed case they may
not see. The digest's kind names the counts in its detail line.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from referral.access.permissions import Role
from referral.access.scope import acting_as
from referral.accounts.models import User
from referral.accounts.service import actor_for
from referral.events.service import EventSpec
from referral.extensions import db
from referral.notifications.config import setting
from referral.notifications.rules import Reminder, logged_already, once_many, register_rule

DIGEST = "digest.daily"

DigestCount = Callable[..., int]
_COUNTS: dict[str, DigestCount] = {}


def register_digest_count(name: str) -> Callable[[DigestCount], DigestCount]:
    """Add ``fn(*, now) -> int`` to the digest under ``name`` (a key of its detail line)."""

    def decorator(fn: DigestCount) -> DigestCount:
        _COUNTS[name] = fn
        return fn

    return decorator


def _counts(coordinator: User, now: datetime) -> dict[str, int]:
    with acting_as(actor_for(coordinator)):
        return {name: count(now=now) for name, count in _COUNTS.items()}


@register_rule("digests", order=60)
def send_daily_digests(*, now: datetime) -> int:
    """Today's digest to each active coordinator who has not had it yet."""
    local = now.astimezone(ZoneInfo(setting("NOTIFY_DIGEST_TIMEZONE")))  # Asia/Almaty
    if local.hour < setting("NOTIFY_DIGEST_HOUR"):
        return 0
    day = local.date().isoformat()
    coordinators = db.session.execute(select(User).where(
        User.role == Role.COORDINATOR, User.is_active_account.is_(True),
        User.is_service_account.is_(False))).scalars().all()  # a system reads no digest
    done = logged_already("user", DIGEST, [u.id for u in coordinators])
    due: list[Reminder] = []
    for user in coordinators:
        if (user.id, day) in done:
            continue  # today's digest went out: no need to count again every minute
        due.append(Reminder("user", user.id, DIGEST, day, EventSpec(
            DIGEST, "user", user.id, {"user_id": user.id, "reference": day,
                                      **_counts(user, now)})))
    return once_many(due)
