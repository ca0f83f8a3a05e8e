"""Real parts for the webhook tests: a local HTTP receiver, short retry schedules, and (marked
redis) Redis with an embedded Celery worker, as the notification tests have them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.notifications import conftest as notifications
from tests.webhooks.receiver import Receiver

redis_db = notifications.redis_db  # the same fixture: the test Redis database, emptied


@pytest.fixture
def receiver(app: Flask) -> Iterator[Receiver]:
    """A real HTTP server on 127.0.0.1; retries at once, an endpoint disabled after two
    given-up deliveries."""
    found = Receiver().start()
    app.config.update(WEBHOOKS_RETRY_SCHEDULE=(0, 0), WEBHOOKS_DISABLE_AFTER=2,
                      WEBHOOKS_TIMEOUT_SECONDS=5)
    yield found
    found.stop()


@pytest.fixture
def worker(app: Flask, redis_db: Any) -> Iterator[Any]:
    """A real Celery worker in this process, consuming from the real Redis."""
    from celery.contrib.testing.worker import start_worker

    from workers import celery_init_app

    celery_app = celery_init_app(app)
    with start_worker(celery_app, pool="solo", concurrency=1, perform_ping_check=False,
                      loglevel="WARNING", shutdown_timeout=20):
        yield celery_app
