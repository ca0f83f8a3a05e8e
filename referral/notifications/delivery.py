"""E-mail deliveries: created from published outbox events, claimed once, sent, retried, failed.

The life of a delivery: pending -> sending (claimed by exactly one worker with a conditional
UPDATE) -> sent | pending again (transient error, retried with backoff) | failed (permanent
error or attempts exhausted: administrators are alerted in the app) | skipped.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

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
from referral.notifications.kinds import Kind, get_kind
from referral.notifications.models import Channel, Delivery, DeliveryStatus
from referral.notifications.recipients import Recipients, Subject, load_subject, resolve
from referral.notifications.service import email_disabled_users, email_enabled, write_in_app

log = logging.getLogger(__name__)
MAX_EVENT_ATTEMPTS = 10


def _set(delivery_id: int, where: list, **values: object) -> int:
    return db.session.execute(
        update(Delivery).where(Delivery.id == delivery_id, *where).values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount


# --- publishing ----------------------------------------------------------------------------------


def _create_deliveries(event: OutboxEvent, kind: Kind, recipients: Recipients) -> int:
    if not kind.email:
        return 0
    users = recipients.user_ids - email_disabled_users(recipients.user_ids)
    wanted = {f"user:{uid}": (uid, None) for uid in users}
    user_addresses = set(db.session.execute(
        select(User.email).where(User.id.in_(sorted(users)))).scalars()) if users else set()
    for agency_id, address in db.session.execute(
        select(Agency.id, Agency.email).where(Agency.id.in_(sorted(recipients.mailbox_agency_ids)))
    ):
        if address and address.lower() not in {a.lower() for a in user_addresses}:
            wanted[f"agency:{agency_id}"] = (None, agency_id)
    existing = set(db.session.execute(
        select(Delivery.recipient).where(Delivery.event_id == event.id,
                                         Delivery.channel == Channel.EMAIL)).scalars())
    for recipient in sorted(set(wanted) - existing):
        user_id, agency_id = wanted[recipient]
        db.session.add(Delivery(event_id=event.id, recipient=recipient, user_id=user_id,
                                agency_id=agency_id, channel=Channel.EMAIL))
    db.session.flush()
    return len(set(wanted) - existing)


def _publish_one(event_id: int, now: datetime) -> bool:
    claimed = db.session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == event_id, OutboxEvent.published_at.is_(None))
        .values(published_at=now, attempts=OutboxEvent.attempts + 1)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        return False  # another publisher has it
    event = db.session.execute(select(OutboxEvent).where(OutboxEvent.id == event_id)).scalar_one()
    kind = get_kind(event.kind)
    if kind is not None:
        subject = load_subject(event)
        recipients = resolve(event, kind, subject)
        write_in_app(event, kind, subject, recipients)
        _create_deliveries(event, kind, recipients)
    return True


def publish_events(*, now: datetime) -> int:
    """Turn unpublished outbox rows into in-app rows and pending deliveries; mark them published.

    One event that cannot be published (a bug, missing data) does not hold up the others.
    """
    ids = db.session.execute(
        select(OutboxEvent.id)
        .where(OutboxEvent.published_at.is_(None), OutboxEvent.attempts < MAX_EVENT_ATTEMPTS)
        .order_by(OutboxEvent.id).limit(setting("NOTIFY_PUBLISH_BATCH"))).scalars().all()
    published = 0
    with acting_as(system_actor("notification publish")):
        for event_id in ids:
            try:
                with db.session.begin_nested():
                    published += _publish_one(event_id, now)
            except Exception:  # noqa: BLE001 - counted and retried; others go on
                log.exception("outbox event %s not published", event_id)
                db.session.execute(
                    update(OutboxEvent).where(OutboxEvent.id == event_id)
                    .values(attempts=OutboxEvent.attempts + 1)
                    .execution_options(synchronize_session=False))
    return published


def claim_due_deliveries(*, now: datetime) -> list[int]:
    """Pending deliveries to hand to the broker now (new, or lost for too long); marks them queued.

    Also releases deliveries claimed by a worker that died mid-send.
    """
    stale_claim = now - timedelta(seconds=setting("NOTIFY_CLAIM_TIMEOUT_SECONDS"))
    db.session.execute(
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_at < stale_claim)
        .values(status=DeliveryStatus.PENDING, queued_at=None)
        .execution_options(synchronize_session=False))
    lost = now - timedelta(seconds=setting("NOTIFY_REQUEUE_AFTER_SECONDS"))
    ids = db.session.execute(
        select(Delivery.id).where(
            Delivery.status == DeliveryStatus.PENDING,
            or_(Delivery.queued_at.is_(None), Delivery.queued_at < lost))
        .order_by(Delivery.id).limit(setting("NOTIFY_PUBLISH_BATCH"))).scalars().all()
    for delivery_id in ids:
        _set(delivery_id, [Delivery.status == DeliveryStatus.PENDING], queued_at=now)
    return list(ids)


def unqueue(delivery_ids: list[int]) -> None:
    """The broker refused these: leave them for the next publish run."""
    for delivery_id in delivery_ids:
        _set(delivery_id, [Delivery.status == DeliveryStatus.PENDING], queued_at=None)


# --- sending -------------------------------------------------------------------------------------


def claim_delivery(delivery_id: int, *, now: datetime) -> bool:
    """Exactly one worker wins a pending delivery; a redelivered or duplicate message gets False."""
    return _set(delivery_id, [Delivery.status == DeliveryStatus.PENDING],
                status=DeliveryStatus.SENDING, claimed_at=now,
                attempts=Delivery.attempts + 1) == 1


def _address_and_locale(delivery: Delivery) -> tuple[str, str] | None:
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    if delivery.user_id is not None:
        user = db.session.execute(select(User).where(User.id == delivery.user_id)).scalar_one()
        if not user.is_active_account or not email_enabled(user.id):
            return None
        return user.email, user.locale if user.locale in languages else default
    agency = db.session.execute(
        select(Agency).where(Agency.id == delivery.agency_id)).scalar_one()
    if not agency.email or not agency.is_active:
        return None
    spoken = [code.strip() for code in (agency.languages or "").split(",")]
    return agency.email, next((c for c in spoken if c in languages), default)


def prepare_mail(delivery_id: int) -> mailer.Mail | None:
    """The message for a claimed delivery, or None (marked skipped) when no longer wanted."""
    delivery = db.session.execute(select(Delivery).where(Delivery.id == delivery_id)).scalar_one()
    event = db.session.execute(
        select(OutboxEvent).where(OutboxEvent.id == delivery.event_id)).scalar_one()
    kind = get_kind(event.kind)
    target = _address_and_locale(delivery)
    if kind is None or target is None:
        _set(delivery_id, [], status=DeliveryStatus.SKIPPED)
        return None
    subject: Subject = load_subject(event)
    return mailer.compose(kind, event, subject, to=target[0], locale=target[1],
                          mailbox=delivery.agency_id is not None)


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
    """Mark failed and alert administrators in the app (the alert never depends on e-mail)."""
    if _set(delivery_id, [Delivery.status == DeliveryStatus.SENDING],
            status=DeliveryStatus.FAILED, last_error=error[:300], failed_at=now) != 1:
        return
    with acting_as(system_actor("delivery failed")):
        emit("system.delivery_failed", subject_type="delivery", subject_id=delivery_id,
             reference=f"#{delivery_id}")


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
    from sqlalchemy import func

    rows = db.session.execute(
        select(Delivery.status, func.count()).group_by(Delivery.status)).all()
    counts = {status.value: 0 for status in DeliveryStatus}
    counts.update({status: n for status, n in rows})
    counts["outbox_unpublished"] = db.session.execute(
        select(func.count()).select_from(OutboxEvent).where(
            and_(OutboxEvent.published_at.is_(None)))).scalar_one()
    return counts
