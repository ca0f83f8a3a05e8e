"""Heartbeats: the beat's task and the sweeps write them; /health and the beat's healthcheck
(``flask ops beat-alive``) read them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select

from referral.events.models import OutboxEvent
from referral.extensions import db
from referral.models_base import utcnow
from referral.ops import heartbeats
from referral.ops.models import Heartbeat
from tests.fixtures import fresh

HEALTH_KEYS = {"status", "checks", "beat_heartbeat_age_seconds",
               "outbox_oldest_unpublished_age_seconds"}


@pytest.fixture
def tasks(app):
    from workers import celery_init_app

    celery_init_app(app)
    import workers.tasks as module

    return module


def _row(name: str) -> Heartbeat | None:
    fresh()
    return db.session.execute(select(Heartbeat).where(Heartbeat.name == name)).scalar_one_or_none()


def test_the_heartbeat_task_writes_the_row(ctx, tasks):
    assert _row("beat") is None
    before = utcnow()
    assert tasks.heartbeat.apply().get() == "ok"
    first = _row("beat")
    assert first.ok and first.beat_at >= before - timedelta(seconds=1)
    assert first.last_ok_at == first.beat_at
    first_at = first.beat_at
    with time_machine.travel(utcnow() + timedelta(minutes=1), tick=False):
        tasks.heartbeat.apply()
    assert _row("beat").beat_at > first_at  # updated in place: one row per job
    assert db.session.execute(select(Heartbeat.name)).scalars().all() == ["beat"]


def test_the_sweeps_record_duration_and_outcome(ctx, tasks, monkeypatch):
    tasks.sweep.apply(throw=True)
    tasks.publish.apply(throw=True)
    reminders, publish = _row("reminders"), _row("publish")
    assert reminders.ok and publish.ok
    assert reminders.duration_ms >= 0 and reminders.last_ok_at == reminders.beat_at
    succeeded_at = reminders.last_ok_at

    def broken(**_):
        raise RuntimeError("sweep failed")

    monkeypatch.setattr(tasks.jobs, "sweep_reminders", broken)
    with pytest.raises(RuntimeError, match="sweep failed"):
        tasks.sweep.apply(throw=True)
    failed = _row("reminders")
    assert not failed.ok
    assert failed.last_ok_at == succeeded_at  # the last success is kept
    assert failed.beat_at >= succeeded_at


def _health(client) -> tuple[int, dict]:
    response = client.get("/health")
    return response.status_code, response.get_json()


def test_health_reports_the_beat_and_degrades_when_stale(client, ctx):
    code, body = _health(client)
    assert code == 200 and body["status"] == "degraded"  # never a heartbeat yet
    assert body["checks"]["beat"] == "missing" and body["beat_heartbeat_age_seconds"] is None
    assert body["checks"]["database"] == "ok" and body["checks"]["broker"] == "ok"

    heartbeats.record(heartbeats.BEAT)
    db.session.commit()
    code, body = _health(client)
    assert (code, body["status"]) == (200, "ok")
    assert set(body) == HEALTH_KEYS  # ages and words only: nothing about people
    assert set(body["checks"]) == {"database", "broker", "beat", "outbox"}
    assert 0 <= body["beat_heartbeat_age_seconds"] < 30

    with time_machine.travel(utcnow() + timedelta(seconds=200), tick=False):
        code, body = _health(client)
    assert code == 200 and body["status"] == "degraded"  # the web still serves
    assert body["checks"]["beat"] == "stale"
    assert 199 <= body["beat_heartbeat_age_seconds"] <= 230


@pytest.mark.app_config(HEALTH_BEAT_MAX_AGE=timedelta(hours=1),
                        HEALTH_OUTBOX_MAX_AGE=timedelta(seconds=60))
def test_health_thresholds_are_settings_and_the_outbox_age_counts(client, ctx):
    heartbeats.record(heartbeats.BEAT, now=utcnow() - timedelta(minutes=30))
    db.session.add(OutboxEvent(kind="test.ping", subject_type="case", subject_id=1,
                               created_at=utcnow() - timedelta(seconds=30)))
    db.session.commit()
    code, body = _health(client)
    assert (code, body["status"], body["checks"]["beat"]) == (200, "ok", "ok")
    assert 29 <= body["outbox_oldest_unpublished_age_seconds"] < 60
    with time_machine.travel(utcnow() + timedelta(seconds=60), tick=False):
        code, body = _health(client)
    assert body["status"] == "degraded" and body["checks"]["outbox"] == "stale"
    assert body["checks"]["beat"] == "ok"


def test_health_thresholds_from_the_environment():
    from referral.settings import prefixed_overrides

    parsed = prefixed_overrides({"REFERRAL_HEALTH_BEAT_MAX_AGE": "240",
                                 "REFERRAL_HEALTH_OUTBOX_MAX_AGE": "600"})
    assert parsed == {"HEALTH_BEAT_MAX_AGE": timedelta(seconds=240),
                      "HEALTH_OUTBOX_MAX_AGE": timedelta(seconds=600)}


@pytest.mark.app_config(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_health_is_503_when_the_broker_is_down_as_before(client, ctx):
    heartbeats.record(heartbeats.BEAT)
    db.session.commit()
    code, body = _health(client)
    assert (code, body["status"], body["checks"]["broker"]) == (503, "degraded", "unavailable")


def test_beat_alive_exit_codes(app, ctx):
    runner = app.test_cli_runner()
    missing = runner.invoke(args=["ops", "beat-alive", "--max-age", "180"])
    assert missing.exit_code == 1 and "no heartbeat" in missing.output
    heartbeats.record(heartbeats.BEAT, now=utcnow() - timedelta(seconds=100))
    db.session.commit()
    assert runner.invoke(args=["ops", "beat-alive", "--max-age", "180"]).exit_code == 0
    stale = runner.invoke(args=["ops", "beat-alive", "--max-age", "60"])
    assert stale.exit_code == 1 and "stale" in stale.output
    # Without --max-age: HEALTH_BEAT_MAX_AGE (180 s).
    assert runner.invoke(args=["ops", "beat-alive"]).exit_code == 0


def test_beat_alive_as_the_compose_healthcheck_runs_it(app, ctx, database_url, tmp_path: Path):
    """The real command line (docker-compose.yml's beat healthcheck), in its own process."""
    import yaml

    from referral.paths import PROJECT_ROOT

    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text("utf-8"))
    command = compose["services"]["beat"]["healthcheck"]["test"]
    assert command[0] == "CMD"
    flask = str(Path(sys.executable).with_name("flask"))
    argv = [flask, *command[2:]]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REFERRAL_", "METRICS_"))}
    env.update(REFERRAL_ENV="testing", DATABASE_URL=database_url,
               REFERRAL_INSTANCE_PATH=str(tmp_path), REDIS_URL="")

    def run() -> int:
        return subprocess.run(argv, env=env, cwd=PROJECT_ROOT, capture_output=True,
                              timeout=120).returncode

    assert run() == 1  # no heartbeat yet
    heartbeats.record(heartbeats.BEAT)
    db.session.commit()
    assert run() == 0


@pytest.mark.redis
def test_a_real_worker_runs_the_beat_schedules_heartbeat(app, ctx):
    """The beat's message for ``heartbeat`` (its schedule entry, sent to Redis) run by a real
    worker: the row appears and beat-alive passes."""
    import redis
    from celery.contrib.testing.worker import start_worker

    from tests.conftest import TEST_REDIS_URL
    from tests.notifications.factories import wait_for
    from workers import BEAT_SCHEDULE, celery_init_app

    connection = redis.Redis.from_url(TEST_REDIS_URL)
    connection.flushdb()
    try:
        celery_app = celery_init_app(app)
        entry = BEAT_SCHEDULE["heartbeat"]
        with start_worker(celery_app, pool="solo", perform_ping_check=False,
                          loglevel="WARNING", shutdown_timeout=20):
            celery_app.send_task(entry["task"], **entry.get("options", {}))
            wait_for(lambda: _row("beat"), what="the heartbeat row")
        assert entry["schedule"] <= 60
        assert app.test_cli_runner().invoke(args=["ops", "beat-alive"]).exit_code == 0
    finally:
        connection.flushdb()
        connection.close()
