"""In-app notifications and preferences: what a user reads, marks and chooses."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.elements import ColumnElement

from referral.access.scope import Actor
from referral.accounts.sessions import (
    forget_session_value,
    holds_session_value,
    register_session_column,
    session_value,
)
from referral.bulk import insert_rows
from referral.errors import NotVisible
from referral.events.models import OutboxEvent
from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications.kinds import Kind, get_kind
from referral.notifications.models import Channel, Notification, NotificationPreference
from referral.notifications.prefetch import load_subjects
from referral.notifications.recipients import Subject, resolve

log = logging.getLogger(__name__)


def in_app_row(event: OutboxEvent, kind: Kind, subject: Subject, user_id: int) -> dict:
    """The column values of one in-app notification (the emit listener and the publisher)."""
    return {"event_id": event.id, "user_id": user_id, "channel": Channel.IN_APP,
            "kind": kind.name, "subject_type": event.subject_type,
            "subject_id": event.subject_id, "reference": subject.reference[:64],
            "created_at": event.created_at or utcnow()}


def fan_out_on_emit(event: OutboxEvent) -> None:
    """The emit listener: in-app rows in the change's own transaction (``fan_out_many``)."""
    fan_out_many([event])


def fan_out_many(events: Sequence[OutboxEvent]) -> None:
    """In-app rows for new events: one savepoint and one INSERT for all their rows.

    The subjects and their cases are read together first (``load_subjects``), so the cost is
    a few statements for the batch, not a few per event. A failure must not undo the change
    that emitted them: the savepoint is rolled back and the publish sweep writes the rows later
    (it repeats this step idempotently).
    """
    try:
        with db.session.begin_nested():
            subjects = load_subjects(events)
            rows: list[dict] = []
            for event in events:
                kind = get_kind(event.kind)
                if kind is None or not kind.in_app:
                    continue
                subject = subjects[event.id]
                recipients = resolve(event, kind, subject)
                rows.extend(in_app_row(event, kind, subject, user_id)
                            for user_id in sorted(recipients.user_ids))
            if rows:
                insert_rows(Notification.__table__, rows)
    except Exception:  # noqa: BLE001 - the change must go through; the sweep retries
        log.exception("in-app fan-out of %d events deferred to the sweep", len(events))


def _unread(user_id: Any) -> tuple[ColumnElement[bool], ...]:
    return Notification.user_id == user_id, Notification.read_at.is_(None)


def unread_count(user_id: int) -> int:
    """One indexed COUNT for the bell on every page."""
    return db.session.execute(
        select(func.count()).select_from(Notification).where(*_unread(user_id))
    ).scalar_one()


UNREAD = "unread_notifications"


@register_session_column(UNREAD)
def _unread_with_session(user_id: Any) -> ColumnElement[int]:
    """The bell's count, read in the session's statement on every logged-in page."""
    return (select(func.count()).select_from(Notification).where(*_unread(user_id))
            .scalar_subquery())


def bell_count(user_id: int) -> int:
    """The bell: the count read with this request's session, else (not read that way, or
    notifications written since in this request) one COUNT now."""
    found = session_value(UNREAD, user_id)
    return unread_count(user_id) if found is None else int(found)


@event.listens_for(Session, "do_orm_execute")
def _written_by_statement(state: ORMExecuteState) -> None:
    """An INSERT/UPDATE/DELETE on notifications (mark read, fan-out) makes the count stale."""
    if state.is_select:
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) == Notification.__tablename__:
        forget_session_value(UNREAD)


@event.listens_for(Session, "after_flush")
def _written_by_flush(session: Session, _context: Any) -> None:
    # Jobs and the sweep flush thousands of objects and hold no count: nothing to look for.
    if holds_session_value(UNREAD) and any(isinstance(obj, Notification)
           for obj in (*session.new, *session.dirty, *session.deleted)):
        forget_session_value(UNREAD)


def list_notifications_for(actor: Actor, *, before_id: int | None = None,
                           limit: int = 50, unread: bool | None = None) -> list[Notification]:
    """The actor's own notifications, newest first, keyset-paginated; ``unread`` True or False
    keeps only the unread or the read ones."""
    query = (select(Notification).where(Notification.user_id == actor.user_id)
             .order_by(Notification.id.desc()).limit(limit))
    if before_id:
        query = query.where(Notification.id < before_id)
    if unread is not None:
        query = query.where(Notification.read_at.is_(None) if unread
                            else Notification.read_at.is_not(None))
    return list(db.session.execute(query).scalars())


def get_notification_for(actor: Actor, notification_id: int) -> Notification:
    """Only the addressee sees a notification; anyone else gets NotVisible (404)."""
    found = db.session.execute(
        select(Notification).where(Notification.id == notification_id,
                                   Notification.user_id == actor.user_id)
    ).scalar_one_or_none()
    if found is None:
        raise NotVisible("notification", notification_id)
    return found


def mark_read(actor: Actor, *, notification_id: int, now: datetime | None = None) -> Notification:
    note = get_notification_for(actor, notification_id)
    db.session.execute(
        update(Notification).where(Notification.id == note.id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow()).execution_options(synchronize_session=False))
    db.session.flush()
    db.session.refresh(note)
    return note


def mark_all_read(actor: Actor, *, now: datetime | None = None) -> int:
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow()).execution_options(synchronize_session=False))
    db.session.flush()
    return result.rowcount


def _email_off() -> tuple[Any, ...]:
    """A preference row that turns e-mail off (no row means on)."""
    return (NotificationPreference.channel == Channel.EMAIL,
            NotificationPreference.enabled.is_(False))


def email_turned_off(user_id: Any) -> Any:
    """SQL: the user ``user_id`` (a column or a value) turned e-mail off; for one-query reads."""
    return select(NotificationPreference.id).where(
        NotificationPreference.user_id == user_id, *_email_off()).exists()


def email_disabled_users(user_ids: set[int]) -> set[int]:
    """Users among ``user_ids`` who turned e-mail off (no row means on)."""
    if not user_ids:
        return set()
    return set(db.session.execute(
        select(NotificationPreference.user_id).where(
            NotificationPreference.user_id.in_(sorted(user_ids)), *_email_off())
    ).scalars())


def email_enabled(user_id: int) -> bool:
    return user_id not in email_disabled_users({user_id})


def set_email_preference(actor: Actor, *, enabled: bool) -> NotificationPreference:
    """In-app notifications cannot be turned off: escalation never depends on e-mail alone."""
    pref = db.session.execute(
        select(NotificationPreference).where(NotificationPreference.user_id == actor.user_id,
                                             NotificationPreference.channel == Channel.EMAIL)
    ).scalar_one_or_none()
    if pref is None:
        pref = NotificationPreference(user_id=actor.user_id, channel=Channel.EMAIL)
        db.session.add(pref)
    pref.enabled = enabled
    db.session.flush()
    from referral.audit import service as audit

    audit.record("notifications.preferences", object_type="user", object_id=actor.user_id,
                 details={"email": enabled})
    return pref
