"""Notifications: in-app rows, e-mail deliveries, preferences, reminder log and sweep state.

Idempotency lives in unique keys: one in-app notification per (event, user, channel), one
delivery per (event, recipient, channel), one reminder per (subject, kind, threshold).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from referral.events.models import OutboxEvent
from referral.extensions import db
from referral.models_base import UTCDateTime, utcnow


class Channel(enum.StrEnum):
    IN_APP = "in_app"
    EMAIL = "email"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"    # waiting to be handed to the broker (or retried)
    SENDING = "sending"    # claimed by one worker
    SENT = "sent"
    FAILED = "failed"      # permanent error or retries exhausted; administrators alerted
    SKIPPED = "skipped"    # nothing to send any more (no address, opted out, deactivated)


class Notification(db.Model):
    """One line in a user's notification list. Ids and an opaque reference only."""

    __tablename__ = "notifications"
    __unscoped__ = (
        "each user's own list, always read by the signed-in user's id; ids and an opaque "
        "reference only")
    __table_args__ = (
        UniqueConstraint("event_id", "user_id", "channel", name="uq_notifications_event_user"),
        Index("ix_notifications_user_unread", "user_id", "read_at"),
        # The list: a user's newest first, keyset-paged (migration 0037).
        Index("ix_notifications_user_newest", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed by the unique constraint above, which leads with it (migration 0012).
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_events.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(16), default=Channel.IN_APP)
    kind: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[OutboxEvent] = relationship(lazy="joined")


class NotificationPreference(db.Model):
    """A user's choice for one channel; no row means the default (enabled)."""

    __tablename__ = "notification_preferences"
    __unscoped__ = "a user's own channel choices, read by the signed-in user's id"
    __table_args__ = (
        UniqueConstraint("user_id", "channel", name="uq_notification_preferences_user_channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Delivery(db.Model):
    """One message to one recipient over one channel, for one outbox event.

    ``recipient`` is ``user:<id>`` or ``agency:<id>`` (an agency's shared duty mailbox); the
    address is looked up at send time so a corrected address is used.
    """

    __tablename__ = "deliveries"
    __unscoped__ = (
        "the mail queue, read by background jobs; recipients' ids, never case content")
    __table_args__ = (
        UniqueConstraint("event_id", "recipient", "channel", name="uq_deliveries_event_recipient"),
        Index("ix_deliveries_status_queued", "status", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed by the unique constraint above, which leads with it (migration 0012).
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_events.id"))
    recipient: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16), default=Channel.EMAIL)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReminderLog(db.Model):
    """A reminder, escalation or digest that was sent: the row makes it happen at most once."""

    __tablename__ = "reminder_logs"
    __unscoped__ = "bookkeeping that a reminder was sent once; ids and thresholds only"
    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", "kind", "threshold",
                         name="uq_reminder_logs_subject_kind_threshold"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(60))
    threshold: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_events.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SweepState(db.Model):
    """When each periodic job last ran (shown on the system-health page)."""

    __tablename__ = "sweep_states"
    __unscoped__ = "when each periodic job last ran; names jobs, never people or cases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    runs: Mapped[int] = mapped_column(Integer, default=0)
