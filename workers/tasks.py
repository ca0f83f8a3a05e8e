"""Celery tasks. Tasks take ids only and call service functions; rules live in the services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="referral.heartbeat", ignore_result=True)
def heartbeat() -> str:
    """Proves that the worker and beat run; the notification sweep is added beside it."""
    return "ok"
