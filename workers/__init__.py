"""Celery wired to Flask as Flask documents it (patterns/celery: celery_init_app, FlaskTask)."""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask

VISIBILITY_TIMEOUT = 3600  # Redis redelivers an unacknowledged message after this many seconds

# ``expires``: a beat message that waited longer than its period is dropped, not piled up.
BEAT_SCHEDULE: dict[str, dict] = {
    "heartbeat": {"task": "referral.heartbeat", "schedule": 60.0, "options": {"expires": 55}},
    "publish-outbox": {"task": "referral.notifications.publish", "schedule": 10.0,
                       "options": {"expires": 9}},
    "reminder-sweep": {"task": "referral.notifications.sweep", "schedule": 60.0,
                       "options": {"expires": 55}},
    "webhooks-sweep": {"task": "referral.webhooks.sweep", "schedule": 10.0,
                       "options": {"expires": 9}},
    # Once a day (each purge is idempotent, so when in the day does not matter): retention.
    "retention-purge": {"task": "referral.retention.purge", "schedule": 86400.0,
                        "options": {"expires": 3600}},
}


def beat_schedule(app: Flask) -> dict[str, dict]:
    """BEAT_SCHEDULE, with the reminder sweep every REFERRAL_REMINDER_SWEEP_SECONDS if set (a
    test of the whole stack sees a reminder in seconds, not a minute)."""
    schedule = dict(BEAT_SCHEDULE)
    every = app.config.get("REMINDER_SWEEP_SECONDS")
    if every:
        schedule["reminder-sweep"] = {**schedule["reminder-sweep"], "schedule": float(every),
                                      "options": {"expires": max(float(every) - 1, 1.0)}}
    return schedule


def transport_options(broker_url: str) -> dict:
    """Redis needs the visibility timeout; the embedded SQLite transport passes its options to
    SQLAlchemy's create_engine, which refuses unknown ones."""
    if broker_url.startswith(("redis://", "rediss://", "redis+socket://")):
        return {"visibility_timeout": VISIBILITY_TIMEOUT}
    if broker_url.startswith("sqla+sqlite"):
        # kombu's transport begins its own transactions ("BEGIN IMMEDIATE"): the app's SQLite
        # engine hook must not open one first (referral.web.database).
        return {"connect_args": {"timeout": 30},
                "execution_options": {"sqlite_autobegin": False}}
    return {}


def check_limits(app: Flask, conf: dict) -> None:
    """Retries and time limits must stay below the visibility timeout, or Redis redelivers."""
    from referral.notifications.config import DEFAULTS

    cap = float(app.config.get("NOTIFY_RETRY_CAP_SECONDS", DEFAULTS["NOTIFY_RETRY_CAP_SECONDS"]))
    if cap >= VISIBILITY_TIMEOUT or conf["task_time_limit"] >= VISIBILITY_TIMEOUT:
        raise RuntimeError("retry backoff and time limits must stay below the visibility timeout")


def celery_init_app(app: Flask) -> Celery:
    from referral.web.database import release_writer_turn, take_write_lock_first

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                # On SQLite a task's transactions wait for the write lock up front, as a
                # request's do: tasks read, then write (claims, sweeps, delivery outcomes).
                take_write_lock_first()
                try:
                    return self.run(*args, **kwargs)
                finally:
                    release_writer_turn()

    celery_app = Celery(app.name, task_cls=FlaskTask)
    from workers.logs import connect as connect_logs

    connect_logs(app)  # worker and beat log through the app's handler (JSON in production)
    broker = app.config["CELERY_BROKER_URL"]
    celery_app.conf.update(
        broker_url=broker,
        task_ignore_result=True,
        result_backend=None,
        accept_content=["json"],
        task_serializer="json",
        result_serializer="json",
        task_default_queue="celery",
        # Side effects: acknowledge after the task ran, one message at a time per worker process.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        # Limits below the broker's visibility timeout (1 h) so nothing is redelivered mid-run.
        task_time_limit=300,
        task_soft_time_limit=240,
        broker_transport_options=transport_options(broker),
        broker_connection_retry_on_startup=True,
        beat_schedule=beat_schedule(app),
        timezone="UTC",
        enable_utc=True,
        imports=("workers.tasks",),
    )
    celery_app.conf.update(app.config.get("CELERY", {}))
    check_limits(app, celery_app.conf)
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
