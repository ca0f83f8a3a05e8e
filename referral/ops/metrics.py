"""Prometheus metrics: request latency and responses per process, system state at scrape time.

Request metrics are counted in each web process. Under gunicorn with ``PROMETHEUS_MULTIPROC_DIR``
set (the Dockerfile sets it; gunicorn.conf.py empties it at start and marks exited workers dead)
prometheus_client keeps them in files there and a scrape sums every worker's; otherwise a scrape
shows the answering process's own. Labels are route names, methods and status codes: never a
path, an id or anything about a person.

The state gauges come from a custom collector that runs a fixed handful of aggregate queries
(four) when scraped, as a system actor: counts and ages only.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import current_app, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased
from werkzeug.wrappers import Response

from referral.access.scope import acting_as, system_actor
from referral.events.models import OutboxEvent
from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications.models import Delivery, DeliveryStatus
from referral.ops import heartbeats
from referral.referrals.lifecycle import Status
from referral.referrals.models import Referral
from referral.web.database import reading_only

log = logging.getLogger(__name__)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
QUEUE = "celery"  # workers/__init__.py: task_default_queue
BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

# registry=None: no global registry; each scrape builds its own (see ``exposition``).
REQUEST_LATENCY = Histogram(
    "referral_http_request_duration_seconds", "Time to answer a request, by route and method.",
    ("endpoint", "method"), buckets=BUCKETS, registry=None)
RESPONSES = Counter(
    "referral_http_responses", "Responses by status class (2xx, 4xx, …) and code.",
    ("status_class", "code"), registry=None)
PROCESS_METRICS = (REQUEST_LATENCY, RESPONSES)


# --- request instrumentation ---------------------------------------------------------------------


def request_started(*_: Any, **__: Any) -> None:
    """Connected to Flask's ``request_started``: before every before_request hook, so that a
    request another hook answers early (a redirect, a rate limit) is timed as well."""
    g._metrics_started = time.perf_counter()


def observe(response: Response) -> Response:
    """``after_app_request``: one observation per answered request."""
    started = g.pop("_metrics_started", None)
    if started is not None:
        method = request.method if request.method in METHODS else "other"
        REQUEST_LATENCY.labels(request.endpoint or "unmatched", method).observe(
            time.perf_counter() - started)
        code = response.status_code
        RESPONSES.labels(f"{code // 100}xx", str(code)).inc()
    return response


# --- state at scrape time ------------------------------------------------------------------------


def _gauge(name: str, doc: str, value: float, labels: dict[str, str] | None = None) -> Metric:
    family = GaugeMetricFamily(name, doc, labels=list(labels) if labels else None)
    family.add_metric(list(labels.values()) if labels else [], value)
    return family


def overdue_referrals(now: datetime) -> int:
    """The coordinators' "overdue" across all regions: past the deadline unanswered (expired,
    or not yet swept), in an open case, and not since referred elsewhere."""
    later = aliased(Referral)
    with acting_as(system_actor("metrics: overdue referral count")):
        return int(db.session.execute(
            select(func.count()).select_from(Referral).where(
                ~Referral.case_closed,
                or_(Referral.status == Status.EXPIRED,
                    and_(Referral.status == Status.SENT, Referral.deadline_at < now)),
                ~exists().where(later.previous_referral_id == Referral.id),
            )).scalar_one())


def database_state(now: datetime) -> list[Metric]:
    """Four aggregate queries: outbox, deliveries, overdue referrals, heartbeats."""
    out: list[Metric] = []
    backlog, oldest = db.session.execute(
        select(func.count(), func.min(OutboxEvent.created_at))
        .where(OutboxEvent.published_at.is_(None))).one()
    out.append(_gauge("referral_outbox_unpublished", "Outbox events not yet published.",
                      backlog))
    out.append(_gauge("referral_outbox_oldest_unpublished_age_seconds",
                      "Age of the oldest unpublished outbox event (0 when none).",
                      heartbeats.age_seconds(oldest, now) or 0.0))
    watched = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.FAILED)
    counts = dict(db.session.execute(
        select(Delivery.status, func.count()).where(Delivery.status.in_(watched))
        .group_by(Delivery.status)).all())
    deliveries = GaugeMetricFamily("referral_deliveries",
                                   "E-mail deliveries by status (pending, sending, failed).",
                                   labels=["status"])
    for status in watched:
        deliveries.add_metric([status.value], counts.get(status.value, 0))
    out.append(deliveries)
    out.append(_gauge("referral_referrals_overdue",
                      "Referrals past their deadline with no answer, in open cases.",
                      overdue_referrals(now)))
    out.extend(heartbeat_state(heartbeats.all_heartbeats(), now))
    return out


def heartbeat_state(rows: dict[str, Any], now: datetime) -> Iterator[Metric]:
    beat = rows.get(heartbeats.BEAT)
    if beat is not None:
        yield _gauge("referral_beat_heartbeat_age_seconds",
                     "Seconds since the beat-scheduled heartbeat task last ran.",
                     heartbeats.age_seconds(beat.beat_at, now) or 0.0)
    duration = GaugeMetricFamily("referral_sweep_duration_seconds",
                                 "Duration of each sweep's last run.", labels=["sweep"])
    ok = GaugeMetricFamily("referral_sweep_last_run_ok",
                           "1 when each sweep's last run succeeded, else 0.", labels=["sweep"])
    success = GaugeMetricFamily("referral_sweep_last_success_timestamp_seconds",
                                "Unix time of each sweep's last successful run.",
                                labels=["sweep"])
    for name in heartbeats.SWEEPS:
        row = rows.get(name)
        if row is None:
            continue
        duration.add_metric([name], row.duration_ms / 1000)
        ok.add_metric([name], 1 if row.ok else 0)
        if row.last_ok_at is not None:
            success.add_metric([name], row.last_ok_at.timestamp())
    yield from (duration, ok, success)


_redis_clients: dict[str, Any] = {}


def celery_queue_length() -> int | None:
    """``LLEN`` of the default queue when the broker is Redis; None otherwise or unreachable."""
    url = current_app.config.get("CELERY_BROKER_URL") or ""
    if not url.startswith(("redis://", "rediss://")):
        return None
    try:
        import redis

        client = _redis_clients.get(url)
        if client is None:
            client = _redis_clients[url] = redis.Redis.from_url(
                url, socket_timeout=1, socket_connect_timeout=1)
        return int(client.llen(QUEUE))
    except Exception:  # noqa: BLE001 - no number rather than a failed scrape
        return None


class StateCollector:
    """Computed when scraped; a database error leaves ``referral_database_up`` at 0."""

    def collect(self) -> Iterator[Metric]:
        now = utcnow()
        up = 1
        try:
            with reading_only():
                state = database_state(now)
                db.session.rollback()  # end the read transaction before the exposition
        except Exception:  # noqa: BLE001 - the scrape still answers, with the failure shown
            db.session.rollback()
            log.warning("metrics: database state unavailable", exc_info=True)
            state, up = [], 0
        yield _gauge("referral_database_up", "1 when the scrape could read the database.", up)
        yield from state
        queue = celery_queue_length()
        if queue is not None:
            yield _gauge("referral_celery_queue_length",
                         "Messages waiting in the Celery queue (Redis broker only).",
                         queue, {"queue": QUEUE})


def exposition() -> bytes:
    """The whole scrape in Prometheus' text format."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        for metric in PROCESS_METRICS:
            registry.register(metric)
    registry.register(StateCollector())  # type: ignore[arg-type]
    return generate_latest(registry)
