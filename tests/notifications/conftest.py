"""Real parts for the notification tests: an SMTP server, Redis and an embedded Celery worker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.conftest import TEST_REDIS_URL
from tests.notifications.factories import SmtpSink, free_port


@pytest.fixture
def smtp(app: Flask) -> Iterator[SmtpSink]:
    """A real SMTP server (aiosmtpd) on a free port; the app sends its e-mail there."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port)
    yield sink
    controller.stop()


@pytest.fixture
def redis_db() -> Iterator[Any]:
    """The test Redis database, emptied before and after (only this database, never all)."""
    import redis

    client = redis.Redis.from_url(TEST_REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def celery_app(app: Flask, redis_db: Any) -> Any:
    from workers import celery_init_app

    app.config.update(NOTIFY_RETRY_BASE_SECONDS=0.2, NOTIFY_RETRY_CAP_SECONDS=1.0)
    return celery_init_app(app)


@pytest.fixture
def worker(celery_app: Any) -> Iterator[Any]:
    """A real Celery worker in this process, consuming from the real Redis."""
    from celery.contrib.testing.worker import start_worker

    with start_worker(celery_app, pool="solo", concurrency=1, perform_ping_check=False,
                      loglevel="WARNING", shutdown_timeout=20) as running:
        yield running
