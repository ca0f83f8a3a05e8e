"""Sending one delivery: claimed once, posted, and its outcome recorded.

pending -> sending (claimed by exactly one worker with a conditional UPDATE) -> delivered |
failed (another attempt scheduled, with backoff and jitter) | given_up (the schedule is spent).
An endpoint whose deliveries keep being given up (or that has failed for days) is disabled and
its owner told. The callers (jobs.py) act as the system and commit.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from sqlalchemy import or_, select, update

from referral.audit import service as audit
from referral.events.service import emit
from referral.extensions import db
from referral.webhooks import signing
from referral.webhooks.config import setting
from referral.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from referral.webhooks.urls import UnsafeUrl, check_url

RETRYABLE = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


def _set(delivery_id: int, *where: object, **values: object) -> int:
    return db.session.execute(
        update(WebhookDelivery).where(WebhookDelivery.id == delivery_id, *where)
        .values(**values).execution_options(synchronize_session=False)).rowcount


# --- the sweep -----------------------------------------------------------------------------------


def anything_to_hand_on() -> bool:
    """Whether a delivery waits or is being sent: a read, so that the sweep of an install with
    no webhooks (most) never takes SQLite's write lock."""
    return db.session.execute(select(WebhookDelivery.id).where(WebhookDelivery.status.in_(
        (*RETRYABLE, DeliveryStatus.SENDING))).limit(1)).first() is not None


def release_lost(now: datetime) -> int:
    """Deliveries claimed by a worker that died mid-send are tried again (the attempt counts)."""
    cutoff = now - timedelta(seconds=setting("WEBHOOKS_REQUEUE_AFTER_SECONDS"))
    return db.session.execute(
        update(WebhookDelivery).where(WebhookDelivery.status == DeliveryStatus.SENDING,
                                      WebhookDelivery.claimed_at < cutoff)
        .values(status=DeliveryStatus.FAILED, next_attempt_at=now, queued_at=None,
                last_error="worker_lost").execution_options(synchronize_session=False)).rowcount


def claim_due(now: datetime, *, limit: int = 200) -> list[int]:
    """Due deliveries not handed to the broker lately, marked as handed on; their ids."""
    cutoff = now - timedelta(seconds=setting("WEBHOOKS_REQUEUE_AFTER_SECONDS"))
    ids = list(db.session.execute(
        select(WebhookDelivery.id).where(
            WebhookDelivery.status.in_(RETRYABLE), WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.queued_at.is_(None), WebhookDelivery.queued_at < cutoff))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit)
        .with_for_update(skip_locked=True)).scalars())
    if ids:
        db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_(ids))
                           .values(queued_at=now).execution_options(synchronize_session=False))
    return ids


def unqueue(ids: list[int]) -> None:
    """The broker refused them: the next sweep hands them on."""
    db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_(ids))
                       .values(queued_at=None).execution_options(synchronize_session=False))


# --- one attempt ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """What the worker posts, read with the claim (the transaction ends before the POST)."""

    delivery_id: int
    endpoint_id: int
    url: str
    secrets: list[str]
    msg_id: str
    body: str


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def claim(delivery_id: int, *, now: datetime) -> Attempt | None:
    """Exactly one worker wins a due delivery; a duplicate or early message gets None.
    A delivery of a disabled endpoint is given up without a try."""
    row = db.session.execute(
        update(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.status.in_(RETRYABLE),
            or_(WebhookDelivery.next_attempt_at.is_(None),
                WebhookDelivery.next_attempt_at <= now))
        .values(status=DeliveryStatus.SENDING, claimed_at=now,
                attempts=WebhookDelivery.attempts + 1)
        .returning(WebhookDelivery.endpoint_id, WebhookDelivery.msg_id,
                   WebhookDelivery.payload)
        .execution_options(synchronize_session=False)).first()
    if row is None:
        return None
    endpoint = db.session.get(WebhookEndpoint, row.endpoint_id)
    keys = _secrets(endpoint, now) if endpoint is not None else []
    if endpoint is None or not endpoint.active or not keys:
        _set(delivery_id, status=DeliveryStatus.GIVEN_UP, queued_at=None,
             last_error="endpoint_disabled" if keys else "secret_unreadable")
        return None
    body = json.dumps(row.payload, separators=(",", ":"), ensure_ascii=False)
    return Attempt(delivery_id, endpoint.id, endpoint.url, keys, row.msg_id, body)


def _secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The current secret, and the previous one while its day of grace lasts."""
    found = [signing.unseal(endpoint.secret_sealed, endpoint.id)]
    if endpoint.previous_secret_until is not None and endpoint.previous_secret_until > now:
        found.append(signing.unseal(endpoint.previous_secret_sealed, endpoint.id))
    return [s for s in found if s]


def post(attempt: Attempt) -> Outcome:
    """POST the signed body: a timeout, no redirects, nothing of the answer kept but its code."""
    try:
        check_url(attempt.url)
    except UnsafeUrl:
        return Outcome(None, "address_refused")
    headers = {"content-type": "application/json", "user-agent": "referral-webhooks/1",
               **signing.headers(attempt.secrets, attempt.msg_id, int(time.time()),
                                 attempt.body)}
    try:
        response = requests.post(attempt.url, data=attempt.body.encode(), headers=headers,
                                 timeout=setting("WEBHOOKS_TIMEOUT_SECONDS"),
                                 allow_redirects=False)
    except requests.Timeout:
        return Outcome(None, "timeout")
    except requests.RequestException:
        return Outcome(None, "connection_failed")
    response.close()
    return Outcome(response.status_code, None if response.ok else "http_error")


def retry_delay(attempts: int) -> float | None:
    """Seconds until the next attempt after ``attempts`` tries (with ±10 % jitter), or None
    when the schedule is spent."""
    schedule = list(setting("WEBHOOKS_RETRY_SCHEDULE"))
    if attempts > len(schedule):
        return None
    base = float(schedule[attempts - 1])
    return base * random.uniform(0.9, 1.1)


def record(attempt: Attempt, outcome: Outcome, *, now: datetime) -> None:
    """Store the outcome of the claimed attempt, and what it means for the endpoint."""
    if outcome.ok:
        _set(attempt.delivery_id, WebhookDelivery.status == DeliveryStatus.SENDING,
             status=DeliveryStatus.DELIVERED, delivered_at=now, queued_at=None,
             last_status_code=outcome.status_code, last_error=None)
        db.session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == attempt.endpoint_id)
                           .values(consecutive_failures=0, failing_since=None)
                           .execution_options(synchronize_session=False))
        return
    attempts = db.session.execute(select(WebhookDelivery.attempts).where(
        WebhookDelivery.id == attempt.delivery_id)).scalar_one()
    delay = retry_delay(attempts)
    values = {"last_status_code": outcome.status_code, "last_error": (outcome.error or "")[:200],
              "queued_at": None}
    if delay is not None:
        _set(attempt.delivery_id, WebhookDelivery.status == DeliveryStatus.SENDING,
             status=DeliveryStatus.FAILED, next_attempt_at=now + timedelta(seconds=delay),
             **values)
    else:
        _set(attempt.delivery_id, WebhookDelivery.status == DeliveryStatus.SENDING,
             status=DeliveryStatus.GIVEN_UP, **values)
    _endpoint_failed(attempt.endpoint_id, given_up=delay is None, now=now)


def _endpoint_failed(endpoint_id: int, *, given_up: bool, now: datetime) -> None:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id, with_for_update=True)
    if endpoint is None or not endpoint.active:
        return
    endpoint.failing_since = endpoint.failing_since or now
    if given_up:
        endpoint.consecutive_failures += 1
    too_long = now - endpoint.failing_since > timedelta(
        days=setting("WEBHOOKS_DISABLE_AFTER_DAYS"))
    if endpoint.consecutive_failures >= setting("WEBHOOKS_DISABLE_AFTER") or too_long:
        disable_failing(endpoint, now=now)
    db.session.flush()


def disable_failing(endpoint: WebhookEndpoint, *, now: datetime) -> None:
    """Stop posting to an endpoint that keeps failing, and tell its owner (in the app and by
    e-mail, with a link only): the agency's managers, or the administrators."""
    endpoint.active = False
    endpoint.disabled_at = now
    endpoint.disabled_reason = "failing"
    audit.record("webhook.disable", object_type="webhook_endpoint", object_id=endpoint.id,
                 details={"reason": "failing", "failures": endpoint.consecutive_failures})
    kind = "webhook.system_endpoint_disabled" if endpoint.is_system else \
        "webhook.endpoint_disabled"
    emit(kind, subject_type="webhook_endpoint", subject_id=endpoint.id,
         owner_agency_id=endpoint.agency_id, reference=f"#{endpoint.id}")
