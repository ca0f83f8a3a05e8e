"""Publishing the outbox in batches: events -> in-app rows and pending deliveries -> the broker.

A batch of unpublished events is locked and claimed with two statements, its subjects and
recipients are read with a few queries (the transaction memo), and its in-app rows and
deliveries are written with one multi-row INSERT each, all in one savepoint. If anything in
the batch fails, the savepoint is rolled back and the batch is published one event at a time,
each in its own savepoint, so one bad event does not hold up the others.

Guarantees: an event is claimed by exactly one publisher (the claim is a conditional UPDATE of
``published_at``; on PostgreSQL the candidates are locked with SKIP LOCKED, so a concurrent
publisher takes the next rows instead of waiting); in-app rows and deliveries already present are
not written again, and their unique keys back that up.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Select, or_, select, update

from referral.access.scope import acting_as, system_actor
from referral.accounts.models import User
from referral.agencies.models import Agency
from referral.bulk import insert_rows
from referral.events.models import OutboxEvent
from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications.config import setting
from referral.notifications.kinds import Kind, get_kind
from referral.notifications.models import Channel, Delivery, DeliveryStatus, Notification
from referral.notifications.prefetch import load_subjects
from referral.notifications.recipients import Recipients, Subject, resolve
from referral.notifications.service import email_disabled_users, in_app_row

log = logging.getLogger(__name__)
MAX_EVENT_ATTEMPTS = 10


def _candidates(after_id: int, limit: int) -> list[int]:
    return list(db.session.execute(
        select(OutboxEvent.id)
        .where(OutboxEvent.published_at.is_(None), OutboxEvent.attempts < MAX_EVENT_ATTEMPTS,
               OutboxEvent.id > after_id)
        .order_by(OutboxEvent.id).limit(limit)
        .with_for_update(skip_locked=True)).scalars())


def _claim(ids: Sequence[int], now: datetime) -> list[OutboxEvent]:
    """Mark the still-unpublished ones among ``ids`` published; return them, oldest first."""
    claimed = db.session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id.in_(ids), OutboxEvent.published_at.is_(None))
        .values(published_at=now, attempts=OutboxEvent.attempts + 1)
        .returning(OutboxEvent.id)
        .execution_options(synchronize_session=False)).scalars().all()
    if not claimed:
        return []
    return list(db.session.execute(
        select(OutboxEvent).where(OutboxEvent.id.in_(claimed)).order_by(OutboxEvent.id)
        .execution_options(populate_existing=True)).scalars())


def _in_app_rows(planned: list[tuple[OutboxEvent, Kind, Subject, Recipients]]) -> list[dict]:
    existing = set(db.session.execute(
        select(Notification.event_id, Notification.user_id).where(
            Notification.event_id.in_([event.id for event, *_ in planned]),
            Notification.channel == Channel.IN_APP)))
    return [in_app_row(event, kind, subject, user_id)
            for event, kind, subject, recipients in planned if kind.in_app
            for user_id in sorted(recipients.user_ids) if (event.id, user_id) not in existing]


def _pairs(query: Select) -> dict:
    return dict(db.session.execute(query).all())


def _delivery_rows(planned: list[tuple[OutboxEvent, Kind, Subject, Recipients]]) -> list[dict]:
    """E-mail to each user who did not turn it off, and to each duty mailbox whose address is
    not already one of those users' addresses."""
    planned = [p for p in planned if p[1].email]
    if not planned:
        return []
    user_ids = set().union(*(r.user_ids for *_, r in planned))
    agency_ids = set().union(*(r.mailbox_agency_ids for *_, r in planned))
    disabled = email_disabled_users(user_ids)
    addresses = _pairs(select(User.id, User.email).where(User.id.in_(sorted(user_ids))))
    mailboxes = _pairs(select(Agency.id, Agency.email).where(Agency.id.in_(sorted(agency_ids)))
                       ) if agency_ids else {}
    existing = set(db.session.execute(
        select(Delivery.event_id, Delivery.recipient).where(
            Delivery.event_id.in_([event.id for event, *_ in planned]),
            Delivery.channel == Channel.EMAIL)))
    rows, created = [], utcnow()
    for event, kind, _subject, recipients in planned:
        users = recipients.user_ids - (set() if kind.always_email else disabled)
        wanted = {f"user:{uid}": (uid, None) for uid in users}
        taken = {addresses[uid].lower() for uid in users if addresses.get(uid)}
        for agency_id in recipients.mailbox_agency_ids:
            address = mailboxes.get(agency_id)
            if address and address.lower() not in taken:
                wanted[f"agency:{agency_id}"] = (None, agency_id)
        for recipient in sorted(wanted):
            if (event.id, recipient) not in existing:
                user_id, agency_id = wanted[recipient]
                rows.append({
                    "event_id": event.id, "recipient": recipient, "user_id": user_id,
                    "agency_id": agency_id, "channel": Channel.EMAIL,
                    "status": DeliveryStatus.PENDING, "attempts": 0, "created_at": created})
    return rows


def _publish(ids: Sequence[int], now: datetime) -> int:
    """Claim ``ids`` and write their in-app rows and deliveries (the caller's savepoint)."""
    events = _claim(ids, now)
    known = [(event, kind) for event in events if (kind := get_kind(event.kind)) is not None]
    if known:
        subjects = load_subjects([event for event, _ in known])
        planned = [(event, kind, subjects[event.id], resolve(event, kind, subjects[event.id]))
                   for event, kind in known]
        for model, rows in ((Notification, _in_app_rows(planned)),
                            (Delivery, _delivery_rows(planned))):
            if rows:
                insert_rows(model.__table__, rows)
    return len(events)


def _publish_each(ids: Sequence[int], now: datetime) -> int:
    """One savepoint per event: the fallback that isolates the event(s) that failed a batch."""
    published = 0
    for event_id in ids:
        try:
            with db.session.begin_nested():
                published += _publish([event_id], now)
        except Exception:  # noqa: BLE001 - counted and retried; others go on
            log.exception("outbox event %s not published", event_id)
            db.session.execute(
                update(OutboxEvent).where(OutboxEvent.id == event_id)
                .values(attempts=OutboxEvent.attempts + 1)
                .execution_options(synchronize_session=False))
    return published


def publish_batch(*, now: datetime, after_id: int = 0) -> tuple[int, int | None]:
    """Publish the next batch of events after ``after_id``: (published, where to go on from).

    Where to go on from is None when the batch was the last; a caller walks on by id, so an
    event that failed is retried by the next run, not again and again within this one.
    """
    limit = setting("NOTIFY_PUBLISH_BATCH")
    ids = _candidates(after_id, limit)
    if not ids:
        return 0, None
    go_on = ids[-1] if len(ids) == limit else None
    with acting_as(system_actor("notification publish")):
        try:
            with db.session.begin_nested():
                return _publish(ids, now), go_on
        except Exception:  # noqa: BLE001 - find the bad event(s) one at a time
            log.warning("batch of %d outbox events failed; publishing them one by one", len(ids))
        return _publish_each(ids, now), go_on


def publish_events(*, now: datetime) -> int:
    """Publish one batch of unpublished outbox rows; the number published."""
    return publish_batch(now=now)[0]


# --- handing deliveries to the broker -----------------------------------------------------------


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
    due = (Delivery.status == DeliveryStatus.PENDING,
           or_(Delivery.queued_at.is_(None), Delivery.queued_at < lost))
    ids = db.session.execute(
        select(Delivery.id).where(*due).order_by(Delivery.id)
        .limit(setting("NOTIFY_PUBLISH_BATCH")).with_for_update(skip_locked=True)).scalars().all()
    if not ids:
        return []
    return sorted(db.session.execute(
        update(Delivery).where(Delivery.id.in_(ids), *due).values(queued_at=now)
        .returning(Delivery.id).execution_options(synchronize_session=False)).scalars())


def unqueue(delivery_ids: Sequence[int]) -> None:
    """The broker refused these: leave them for the next publish run."""
    if delivery_ids:
        db.session.execute(
            update(Delivery)
            .where(Delivery.id.in_(list(delivery_ids)), Delivery.status == DeliveryStatus.PENDING)
            .values(queued_at=None).execution_options(synchronize_session=False))

