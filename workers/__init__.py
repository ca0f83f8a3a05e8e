"""Celery wired to Flask as Flask documents it (patterns/celery: celery_init_app, FlaskTask)."""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask

BEAT_SCHEDULE: dict[str, dict] = {
    "heartbeat": {"task": "referral.heartbeat", "schedule": 60.0},
}


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    broker = app.config["CELERY_BROKER_URL"]
    celery_app.conf.update(
        broker_url=broker,
        task_ignore_result=True,
        result_backend=None,
        accept_content=["json"],
        task_serializer="json",
        result_serializer="json",
        # Side effects: acknowledge after the task ran, one message at a time per worker process.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # Limits below the broker's visibility timeout (1 h) so nothing is redelivered mid-run.
        task_time_limit=300,
        task_soft_time_limit=240,
        broker_transport_options={"visibility_timeout": 3600},
        broker_connection_retry_on_startup=True,
        beat_schedule=dict(BEAT_SCHEDULE),
        timezone="UTC",
        enable_utc=True,
        imports=("workers.tasks",),
    )
    celery_app.conf.update(app.config.get("CELERY", {}))
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
