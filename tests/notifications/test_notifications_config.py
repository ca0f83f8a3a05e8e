"""The Celery settings that make background work safe, and the deployment's single beat."""

from __future__ import annotations

from pathlib import Path

import yaml

from workers import BEAT_SCHEDULE, VISIBILITY_TIMEOUT, celery_init_app, transport_options

ROOT = Path(__file__).resolve().parents[2]


def test_celery_settings(app):
    conf = celery_init_app(app).conf
    assert list(conf.accept_content) == ["json"] and conf.task_serializer == "json"
    assert conf.task_acks_late and conf.worker_prefetch_multiplier == 1
    assert conf.task_ignore_result
    assert conf.task_time_limit < VISIBILITY_TIMEOUT
    assert app.config.get("NOTIFY_RETRY_CAP_SECONDS", 120) < VISIBILITY_TIMEOUT


def test_tasks_have_limits_below_the_visibility_timeout(app):
    celery = celery_init_app(app)
    celery.loader.import_default_modules()
    for name in ("referral.notifications.publish", "referral.notifications.deliver",
                 "referral.notifications.sweep"):
        task = celery.tasks[name]
        assert task.time_limit and task.time_limit < VISIBILITY_TIMEOUT
        assert task.ignore_result
    assert celery.tasks["referral.notifications.deliver"].acks_late


def test_beat_publishes_often_and_sweeps_every_minute():
    by_task = {entry["task"]: entry for entry in BEAT_SCHEDULE.values()}
    assert by_task["referral.notifications.publish"]["schedule"] <= 60
    assert by_task["referral.notifications.sweep"]["schedule"] == 60
    for entry in BEAT_SCHEDULE.values():  # a stale beat message is dropped, not piled up
        assert entry["options"]["expires"] < entry["schedule"]


def test_transport_options_fit_the_broker():
    assert transport_options("redis://redis:6379/0") == {"visibility_timeout": VISIBILITY_TIMEOUT}
    embedded = transport_options("sqla+sqlite:///instance/broker.sqlite")
    assert "visibility_timeout" not in embedded  # SQLAlchemy's create_engine would refuse it


def test_docker_compose_runs_exactly_one_beat():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    beats = [name for name, svc in services.items() if " beat" in " ".join(
        svc.get("command", []))]
    assert beats == ["beat"]
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1
