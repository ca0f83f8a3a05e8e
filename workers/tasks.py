"""Celery tasks. Tasks take ids only and call the notification jobs; rules live in the services.

- ``publish`` (beat, every 10 s): outbox rows -> in-app rows and pending deliveries -> one
  ``deliver(delivery_id)`` message each, batch after batch until the outbox is drained (or 30 s
  have passed). The web request never talks to the broker.
- ``deliver`` (ids only): sends one e-mail at most once, over the worker process's reused SMTP
  connection; transient SMTP errors are retried with a short, capped, jittered backoff (never a
  long countdown; deadlines are database rows).
- ``sweep`` (beat, every minute): reminders, expiry, escalation and the daily digest.
- ``webhooks.sweep`` (beat, every 10 s) and ``webhooks.deliver`` (ids only): due webhook
  deliveries, each posted at most once per attempt; retries are rows with a due time, never long
  countdowns (referral/webhooks/jobs.py).
- ``heartbeat`` (beat, every minute): the beat's heartbeat row; ``publish`` and ``sweep`` record
  their duration and outcome too (referral/ops/heartbeats.py), for /health and /metrics.
"""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_process_shutdown, worker_shutdown

from referral.extensions import db
from referral.notifications import jobs, mailer
from referral.ops import heartbeats
from referral.webhooks import jobs as webhook_jobs

DELIVER_TASK = "referral.notifications.deliver"


@shared_task(name="referral.heartbeat", ignore_result=True)
def heartbeat() -> str:
    """Proves that the beat, the broker and a worker run: the row's age is the beat's liveness
    (/health, /metrics, ``flask ops beat-alive``)."""
    heartbeats.record(heartbeats.BEAT)
    db.session.commit()
    return "ok"


@worker_shutdown.connect
@worker_process_shutdown.connect
def _close_smtp(**_: object) -> None:
    """Each worker process keeps its SMTP connection open (mailer.py); close it on the way out."""
    mailer.close_all_connections()


def _enqueue(delivery_id: int) -> None:
    # retry=False: if the broker is gone, fail at once and leave the delivery for the next run.
    deliver.apply_async(args=[int(delivery_id)], retry=False)


@shared_task(name="referral.notifications.publish", ignore_result=True, soft_time_limit=50,
             time_limit=60)
def publish() -> int:
    with heartbeats.timed(heartbeats.PUBLISH):
        return jobs.publish(_enqueue)


@shared_task(bind=True, name=DELIVER_TASK, ignore_result=True, acks_late=True,
             max_retries=20, soft_time_limit=60, time_limit=90)
def deliver(self, delivery_id: int) -> None:  # noqa: ANN001 - Celery's bound task
    delay = jobs.deliver(int(delivery_id))
    if delay is not None:
        raise self.retry(args=[int(delivery_id)], countdown=delay)


@shared_task(name="referral.notifications.sweep", ignore_result=True, soft_time_limit=240,
             time_limit=300)
def sweep() -> dict[str, int]:
    with heartbeats.timed(heartbeats.REMINDERS):
        return jobs.sweep_reminders()


def _enqueue_webhook(delivery_id: int) -> None:
    deliver_webhook.apply_async(args=[int(delivery_id)], retry=False)


@shared_task(name="referral.webhooks.sweep", ignore_result=True, soft_time_limit=50,
             time_limit=60)
def webhooks_sweep() -> int:
    """Beat, every 10 s: due webhook deliveries (new, retries, lost) -> one message each."""
    return webhook_jobs.sweep(_enqueue_webhook)


@shared_task(name="referral.webhooks.deliver", ignore_result=True, acks_late=True,
             soft_time_limit=60, time_limit=90)
def deliver_webhook(delivery_id: int) -> None:
    """POST one webhook delivery (ids only); retries are rows the sweep hands on when due."""
    webhook_jobs.deliver(int(delivery_id))


@shared_task(name="referral.retention.purge", ignore_result=True, soft_time_limit=1500,
             time_limit=1800)
def retention_purge() -> int:
    """Daily (beat): purge the personal data of cases past their retention period, one case per
    transaction, each audited (referral/retention/service.py). Returns the cases purged."""
    from referral.retention import service as retention
    from referral.web.transaction import run_action

    return len(retention.run(commit=run_action).purged)
