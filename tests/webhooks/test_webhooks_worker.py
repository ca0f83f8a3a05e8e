"""The Celery side with real parts: the beat's sweep task and the deliver task run by a worker
in this process on the machine's Redis, posting to a real HTTP receiver. Nothing is eager."""

from __future__ import annotations

import time
from typing import Any

import pytest
from celery.signals import before_task_publish
from sqlalchemy import select
from standardwebhooks import Webhook

from referral.access.scope import acting_as, system_actor
from referral.extensions import db
from referral.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.fixtures import fresh
from tests.notifications.factories import wait_for
from tests.webhooks.helpers import endpoint_for, send_and_accept, sensitive_case

pytestmark = pytest.mark.redis

SWEEP, DELIVER = "referral.webhooks.sweep", "referral.webhooks.deliver"


@pytest.fixture
def wire() -> Any:
    """Every task message published in this process, as (task name, args, kwargs)."""
    seen: list[tuple[str, Any, Any]] = []

    def record(sender: str | None = None, body: Any = None, headers: Any = None,
               **_: Any) -> None:
        args, kwargs, _embed = body
        seen.append((headers.get("task") or sender, args, kwargs))

    before_task_publish.connect(record, weak=False)
    yield seen
    before_task_publish.disconnect(record)


def _statuses() -> list[str]:
    fresh()
    with acting_as(system_actor("test")):
        return list(db.session.execute(select(WebhookDelivery.status)).scalars())


def test_the_worker_delivers_once_signed_with_ids_only(ctx, world, receiver, worker, wire):
    _endpoint, secret = endpoint_for(world["manager"], receiver.url)
    send_and_accept(world, sensitive_case(world)[0])
    worker.send_task(SWEEP)
    wait_for(lambda: _statuses() == [DeliveryStatus.DELIVERED], what="the delivery")
    [row_id] = [args[0] for name, args, _kw in wire if name == DELIVER]
    worker.send_task(DELIVER, args=[row_id])  # a duplicate message: nothing more is posted
    worker.send_task(SWEEP)
    wait_for(lambda: len([m for m in wire if m[0] == SWEEP]) == 2, what="the second sweep")
    time.sleep(1.0)
    assert len(receiver.requests) == 1
    body = Webhook(secret).verify(receiver.requests[0].body, receiver.requests[0].headers)
    assert body["type"] == "referral.accepted"
    for _name, args, kwargs in [m for m in wire if m[0] == DELIVER]:
        assert all(isinstance(a, int) for a in args) and kwargs == {}


def test_the_worker_retries_then_gives_up(ctx, world, receiver, worker):
    endpoint_for(world["manager"], receiver.url)
    receiver.status = 500
    send_and_accept(world, sensitive_case(world)[0])
    for attempt in range(1, 4):
        worker.send_task(SWEEP)
        wait_for(lambda n=attempt: len(receiver.requests) >= n
                 and DeliveryStatus.SENDING not in _statuses(), what=f"attempt {attempt}")
    wait_for(lambda: _statuses() == [DeliveryStatus.GIVEN_UP], what="given up")
    assert len(receiver.requests) == 3
