"""E-mail deliveries: created from published outbox events, claimed once, sent, retried, failed.

The life of a delivery: pending -> sending (claimed by exactly one worker with a conditional
UPDATE) -> sent | pending again (transient error, retried with backoff) | failed (permanent
error or attempts exhausted: administrators are alerted in the app) | skipped.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select, update

from referral.access.scope import Actor, acting_as, system_actor
from referral.accounts.models import User
from referral.agencies.models import Agency
from referral.audit import service as audit
from referral.errors import DomainError
from referral.events.models import OutboxEvent
from referral.events.service import emit
from referral.extensions import db
from referral.notifications import mailer
from referral.notifications.config import setting
from referral.notifications.kinds import get_kind
from referral.notifications.models import Delivery, DeliveryStatus
from referral.notifications.recipients import Subject, load_subject
from referral.notifications.service import email_turned_off

log = logging.getLogger(__name__)


def _set(delivery_id: int, where: list, **values: object) -> int:
    return db.session.execute(
        update(Delivery).where(Delivery.id == delivery_id, *where).values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount


# --- sending -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """What a worker needs to know about the delivery it won (read by the claim itself)."""

    event_id: int
    user_id: int | None
    agency_id: int | None


def claim(delivery_id: int, *, now: datetime) -> Claimed | None:
    """Exactly one worker wins a pending delivery; a redelivered or duplicate message gets None."""
    row = db.session.execute(
        update(Delivery).where(Delivery.id == delivery_id,
                               Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SENDING, claimed_at=now, attempts=Delivery.attempts + 1)
        .returning(Delivery.event_id, Delivery.user_id, Delivery.agency_id)
        .execution_options(synchronize_session=False)).first()
    return Claimed(*row) if row else None




def _event_and_target(claimed: Claimed) -> tuple[OutboxEvent, tuple[str, str] | None]:
    """The event and (address, locale), or None when the recipient no longer wants or has an
    address. Read at send time (a corrected address is used), with one query."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    query = select(OutboxEvent).where(OutboxEvent.id == claimed.event_id)
    if claimed.user_id is not None:
        event, email, locale, active, email_off = db.session.execute(
            query.add_columns(User.email, User.locale, User.is_active_account,
                              email_turned_off(User.id).label("email_off"))
            .outerjoin(User, User.id == claimed.user_id)).one()
        kind = get_kind(event.kind)
        if not active or (email_off and not (kind is not None and kind.always_email)):
            return event, None
        return event, (email, locale if locale in languages else default)
    event, email, active, spoken = db.session.execute(
        query.add_columns(Agency.email, Agency.is_active, Agency.languages)
        .outerjoin(Agency, Agency.id == claimed.agency_id)).one()
    if not email or not active:
        return event, None
    codes = [code.strip() for code in (spoken or "").split(",")]
    return event, (email, next((c for c in codes if c in languages), default))


def prepare_mail(delivery_id: int, claimed: Claimed) -> mailer.Mail | None:
    """The message for a claimed delivery, or None (marked skipped) when no longer wanted."""
    event, target = _event_and_target(claimed)
    kind = get_kind(event.kind)
    if kind is None or target is None:
        _set(delivery_id, [], status=DeliveryStatus.SKIPPED)
        return None
    subject: Subject = load_subject(event)
    mail = mailer.compose(kind, event, subject, to=target[0], locale=target[1],
                          mailbox=claimed.agency_id is not None)
    if mail is None:  # a domain's composer has nothing to send any more (an expired link)
        _set(delivery_id, [], status=DeliveryStatus.SKIPPED)
    return mail


def mark_sent(delivery_id: int, *, now: datetime) -> None:
    _set(delivery_id, [Delivery.status == DeliveryStatus.SENDING],
         status=DeliveryStatus.SENT, sent_at=now, last_error=None)


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with jitter, capped well below the broker's visibility timeout."""
    ceiling = min(setting("NOTIFY_RETRY_CAP_SECONDS"),
                  setting("NOTIFY_RETRY_BASE_SECONDS") * 2 ** max(attempt - 1, 0))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def record_transient_failure(delivery_id: int, error: str, *, now: datetime) -> float | None:
    """Put the delivery back for a retry and return the delay, or fail it after the last try."""
    _set(delivery_id, [], last_error=error[:300])  # a write first: SQLite takes its lock now
    attempts = db.session.execute(
        select(Delivery.attempts).where(Delivery.id == delivery_id)).scalar_one()
    if attempts >= setting("NOTIFY_MAX_ATTEMPTS"):
        record_permanent_failure(delivery_id, error, now=now)
        return None
    _set(delivery_id, [Delivery.status == DeliveryStatus.SENDING],
         status=DeliveryStatus.PENDING, queued_at=now)
    return backoff_seconds(attempts)


def record_permanent_failure(delivery_id: int, error: str, *, now: datetime) -> None:
    """Mark failed and alert administrators in the app (the alert never depends on e-mail).

    Every failure alerts in production. In development (NOTIFY_ALERT_EVERY_FAILURE off) only
    the first failure of an outage does: a demo without an SMTP server would otherwise add an
    alert for every e-mail it tried (each failure still shows on the system-health page)."""
    if _set(delivery_id, [Delivery.status == DeliveryStatus.SENDING],
            status=DeliveryStatus.FAILED, last_error=error[:300], failed_at=now) != 1:
        return
    if not setting("NOTIFY_ALERT_EVERY_FAILURE") and _outage_already_alerted(delivery_id):
        return
    with acting_as(system_actor("delivery failed")):
        emit("system.delivery_failed", subject_type="delivery", subject_id=delivery_id,
             reference=f"#{delivery_id}")


def _outage_already_alerted(delivery_id: int) -> bool:
    """Another delivery failed since the last one was sent: this outage has had its alert."""
    last_sent = select(func.max(Delivery.sent_at)).scalar_subquery()
    return db.session.execute(select(exists().where(
        Delivery.status == DeliveryStatus.FAILED, Delivery.id != delivery_id,
        or_(last_sent.is_(None), Delivery.failed_at > last_sent)))).scalar_one()


# --- administration ------------------------------------------------------------------------------


def failed_deliveries(*, limit: int = 100) -> list[Delivery]:
    return list(db.session.execute(
        select(Delivery).where(Delivery.status == DeliveryStatus.FAILED)
        .order_by(Delivery.failed_at.desc(), Delivery.id.desc()).limit(limit)).scalars())


def retry_delivery(actor: Actor, *, delivery_id: int) -> None:
    """Give a failed delivery a fresh set of attempts; the next publish run hands it on."""
    from referral.access.permissions import Permission, role_can

    if not role_can(actor.role, Permission.SYSTEM_HEALTH_VIEW):
        raise DomainError("not allowed")
    changed = _set(delivery_id, [Delivery.status == DeliveryStatus.FAILED],
                   status=DeliveryStatus.PENDING, attempts=0, queued_at=None, claimed_at=None)
    if changed != 1:
        from flask_babel import gettext as _

        raise DomainError(_("This delivery is not failed any more."))
    audit.record("notifications.delivery_retry", object_type="delivery", object_id=delivery_id)


def pending_counts() -> dict[str, int]:
    rows = db.session.execute(
        select(Delivery.status, func.count()).group_by(Delivery.status)).all()
    counts = {status.value: 0 for status in DeliveryStatus}
    counts.update({status: n for status, n in rows})
    counts["outbox_unpublished"] = db.session.execute(
        select(func.count()).select_from(OutboxEvent).where(
            and_(OutboxEvent.published_at.is_(None)))).scalar_one()
    return counts
