"""/metrics: who may read it, what it shows, and that a scrape costs a few aggregate queries."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from referral import create_app
from referral.config import ConfigurationError
from referral.events.models import OutboxEvent
from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications.models import Delivery
from referral.ops import heartbeats
from referral.ops.metrics import StateCollector
from referral.paths import PROJECT_ROOT
from referral.settings import plain_overrides
from tests.conftest import TEST_REDIS_URL, base_config
from tests.fixtures import recorded_statements
from tests.notifications.factories import make_case, make_referral

TOKEN = "a-long-random-scrape-token-for-tests"  # noqa: S105


def scrape(client, **kwargs) -> str:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/plain"
    return response.get_data(as_text=True)


def value(text: str, name: str, **labels: str) -> float | None:
    """The sample ``name{labels}`` in an exposition (labels in any order), or None."""
    for line in text.splitlines():
        match = re.match(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(3))
    return None


# --- access ---------------------------------------------------------------


def test_localhost_may_scrape_by_default(client):
    assert "referral_database_up 1.0" in scrape(client)


def test_another_address_gets_404(client):
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert response.status_code == 404
    assert b"referral_" not in response.data


@pytest.mark.app_config(METRICS_ALLOWED_ADDRESSES="10.0.0.0/8, 192.0.2.1", METRICS_TOKEN=TOKEN)
def test_configured_addresses_and_the_token(client):
    outside = {"REMOTE_ADDR": "203.0.113.7"}
    assert client.get("/metrics").status_code == 404  # localhost no longer listed
    assert client.get("/metrics", environ_base=outside).status_code == 404
    for wrong in ("Bearer nope", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer "):
        assert client.get("/metrics", environ_base=outside,
                          headers={"Authorization": wrong}).status_code == 404, wrong
    scrape(client, environ_base=outside, headers={"Authorization": f"Bearer {TOKEN}"})
    scrape(client, environ_base={"REMOTE_ADDR": "10.20.30.40"})
    scrape(client, environ_base={"REMOTE_ADDR": "192.0.2.1"})
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.2"}).status_code == 404


@pytest.mark.app_config(METRICS_TOKEN="")
def test_an_empty_token_opens_nothing(client):
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.7"},
                          headers={"Authorization": "Bearer "})
    assert response.status_code == 404


@pytest.mark.app_config(TRUSTED_PROXIES=1)
def test_behind_a_proxy_the_forwarded_client_is_checked(client):
    # The proxy connects from localhost; the client it forwards is outside.
    response = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"})
    assert response.status_code == 404


def test_a_bad_address_list_stops_the_app(database_url):
    with pytest.raises(ConfigurationError, match="METRICS_ALLOWED_ADDRESSES"):
        create_app(base_config(database_url, METRICS_ALLOWED_ADDRESSES="10.0.0.300/8"))


def test_the_variables_are_settings():
    parsed = plain_overrides({"METRICS_ALLOWED_ADDRESSES": "10.0.0.0/8", "METRICS_TOKEN": "t"})
    assert parsed == {"METRICS_ALLOWED_ADDRESSES": "10.0.0.0/8", "METRICS_TOKEN": "t"}


# --- request metrics ---------------------------------------------------------------


def test_latency_histogram_per_route_and_responses_by_code(client):
    before = scrape(client)
    base = value(before, "referral_http_request_duration_seconds_count",
                 endpoint="accounts.login", method="GET") or 0
    not_found = value(before, "referral_http_responses_total", code="404",
                      status_class="4xx") or 0
    for _ in range(3):
        assert client.get("/login").status_code == 200
    client.get("/no-such-page-4711")
    client.get("/cases/987654")  # a route with an id: labelled by its name, never the path
    text = scrape(client)
    assert value(text, "referral_http_request_duration_seconds_count",
                 endpoint="accounts.login", method="GET") == base + 3
    assert value(text, "referral_http_request_duration_seconds_bucket",
                 endpoint="accounts.login", method="GET", le="+Inf") == base + 3
    assert value(text, "referral_http_responses_total", code="404",
                 status_class="4xx") == not_found + 1
    assert value(text, "referral_http_request_duration_seconds_count",
                 endpoint="unmatched", method="GET") >= 1
    labels = " ".join(re.findall(r"\{[^}]*\}", text))
    assert "987654" not in labels and "4711" not in labels and "/" not in labels


# --- state gauges ---------------------------------------------------------------


def test_outbox_deliveries_and_overdue_gauges_follow_the_rows(client, world):
    empty = scrape(client)
    assert value(empty, "referral_outbox_unpublished") == 0
    assert value(empty, "referral_outbox_oldest_unpublished_age_seconds") == 0
    assert value(empty, "referral_referrals_overdue") == 0
    for status in ("pending", "sending", "failed"):
        assert value(empty, "referral_deliveries", status=status) == 0

    now = utcnow()
    old = OutboxEvent(kind="test.ping", subject_type="case", subject_id=1,
                      created_at=now - timedelta(minutes=10))
    db.session.add_all([old, OutboxEvent(kind="test.ping", subject_type="case", subject_id=2),
                        OutboxEvent(kind="test.ping", subject_type="case", subject_id=3,
                                    published_at=now)])
    db.session.flush()
    db.session.add_all([Delivery(event_id=old.id, recipient=f"user:{n}", status=status)
                        for n, status in enumerate(("pending", "pending", "failed"))])
    case = make_case(world["police"], world["officer"])
    make_referral(case, world["officer"], world["crisis_agency"],
                  sent_at=now - timedelta(hours=20), window=timedelta(hours=10))  # overdue
    make_referral(case, world["officer"], world["crisis_agency"],
                  sent_at=now - timedelta(hours=1), window=timedelta(hours=10))  # not yet
    make_referral(case, world["officer"], world["crisis_agency"], status="expired",
                  sent_at=now - timedelta(days=3))
    db.session.commit()

    text = scrape(client)
    assert value(text, "referral_outbox_unpublished") == 2
    assert 590 <= value(text, "referral_outbox_oldest_unpublished_age_seconds") <= 700
    assert value(text, "referral_deliveries", status="pending") == 2
    assert value(text, "referral_deliveries", status="failed") == 1
    assert value(text, "referral_deliveries", status="sending") == 0
    assert value(text, "referral_referrals_overdue") == 2
    # Labels name routes, methods, codes, statuses and jobs only: no ids, no people.
    keys = set(re.findall(r'[{,](\w+)="', text))
    assert keys <= {"endpoint", "method", "status_class", "code", "status", "sweep", "queue",
                    "le"}, keys


def test_sweep_and_beat_gauges_come_from_the_heartbeats(client, ctx):
    now = utcnow()
    heartbeats.record(heartbeats.BEAT, now=now - timedelta(seconds=42))
    heartbeats.record(heartbeats.PUBLISH, duration_ms=250, now=now - timedelta(seconds=5))
    heartbeats.record(heartbeats.REMINDERS, duration_ms=1500, now=now - timedelta(minutes=3))
    heartbeats.record(heartbeats.REMINDERS, ok=False, duration_ms=900, now=now)
    db.session.commit()
    text = scrape(client)
    assert 42 <= value(text, "referral_beat_heartbeat_age_seconds") < 60
    assert value(text, "referral_sweep_duration_seconds", sweep="publish") == 0.25
    assert value(text, "referral_sweep_duration_seconds", sweep="reminders") == 0.9
    assert value(text, "referral_sweep_last_run_ok", sweep="publish") == 1
    assert value(text, "referral_sweep_last_run_ok", sweep="reminders") == 0
    assert value(text, "referral_sweep_last_success_timestamp_seconds", sweep="reminders") == \
        pytest.approx((now - timedelta(minutes=3)).timestamp(), abs=1)


def test_no_beat_row_no_beat_age(client):
    text = scrape(client)
    assert value(text, "referral_beat_heartbeat_age_seconds") is None
    assert "referral_sweep_duration_seconds{" not in text


def test_a_scrape_runs_at_most_six_queries(app, ctx, world):
    with app.test_request_context("/metrics"), recorded_statements() as statements:
        families = list(StateCollector().collect())
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert 1 <= len(reads) <= 6, statements
    assert len(statements) <= 8, statements  # plus at most the transaction's BEGIN/ROLLBACK
    assert {f.name for f in families} >= {"referral_database_up", "referral_referrals_overdue"}


@pytest.mark.redis
def test_celery_queue_length_from_redis(client, app):
    import redis

    assert app.config["CELERY_BROKER_URL"] == TEST_REDIS_URL
    connection = redis.Redis.from_url(TEST_REDIS_URL)
    connection.delete("celery")
    try:
        connection.rpush("celery", "a", "b", "c")
        assert value(scrape(client), "referral_celery_queue_length", queue="celery") == 3
    finally:
        connection.delete("celery")
        connection.close()


def test_no_queue_length_without_redis(client, app):
    app.config["CELERY_BROKER_URL"] = "memory://"
    assert "referral_celery_queue_length" not in scrape(client)


# --- the dashboard ---------------------------------------------------------------

ONLY_WITH_REDIS = {"referral_celery_queue_length"}  # test_celery_queue_length_from_redis


def _dashboard_metrics() -> set[str]:
    dashboard = json.loads((PROJECT_ROOT / "docs" / "grafana-dashboard.json").read_text("utf-8"))
    exprs = [target["expr"] for panel in dashboard["panels"]
             for target in panel.get("targets", [])]
    assert exprs and all(isinstance(e, str) for e in exprs)
    return set(re.findall(r"\breferral_[a-z0-9_]+", " ".join(exprs)))


def test_every_dashboard_metric_is_exposed(client, ctx):
    for name in (heartbeats.BEAT, heartbeats.PUBLISH, heartbeats.REMINDERS):
        heartbeats.record(name, duration_ms=10)
    db.session.commit()
    client.get("/login")
    text = scrape(client)
    exposed = {line.split("{")[0].split(" ")[0] for line in text.splitlines()
               if line and not line.startswith("#")}
    used = _dashboard_metrics()
    assert len(used) >= 10
    missing = used - exposed
    if not TEST_REDIS_URL:
        missing -= ONLY_WITH_REDIS
    assert missing == set()


def test_heartbeat_rows_are_not_personal(ctx):
    heartbeats.record(heartbeats.BEAT)
    db.session.commit()
    from referral.ops.models import Heartbeat

    assert db.session.execute(select(Heartbeat.name)).scalars().all() == ["beat"]
    assert not getattr(Heartbeat, "__scoped__", False)
