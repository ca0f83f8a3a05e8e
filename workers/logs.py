"""Worker and beat log through the app's handler (referral/web/logs.py): the same JSON lines,
each carrying the task's name and id, and the id of the request that queued it when one did."""

from __future__ import annotations

from typing import Any

from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun
from flask import Flask

from referral.web import logs

HEADER = "referral_request_id"  # a message header: never a task argument


def connect(app: Flask) -> None:
    """Celery leaves logging alone once a ``setup_logging`` receiver exists: no root logger
    hijacked, no stdout redirected into a logger; create_app's handler stays the one."""
    _settings.update(fmt=app.config.get("LOG_FORMAT", "json"),
                     level=app.config.get("LOG_LEVEL", "INFO"))
    for signal, receiver in ((setup_logging, _setup), (before_task_publish, _stamp),
                             (task_prerun, _begin), (task_postrun, _end)):
        signal.connect(receiver, weak=False, dispatch_uid=f"referral.logs.{receiver.__name__}")


_settings: dict[str, str] = {"fmt": "json", "level": "INFO"}


def _setup(**_: Any) -> None:
    logs.configure_logging(_settings["fmt"], _settings["level"])


def _stamp(headers: dict[str, Any] | None = None, **_: Any) -> None:
    request_id = logs.current_request_id()
    if headers is not None and request_id:
        headers[HEADER] = request_id


def _begin(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    queued_by = None
    if task is not None:  # a worker's message: a field of its own; an eager call: in headers
        queued_by = task.request.get(HEADER) or (task.request.get("headers") or {}).get(HEADER)
    logs.clear()
    logs.bind(task_name=getattr(task, "name", None), task_id=task_id, request_id=queued_by)


def _end(**_: Any) -> None:
    logs.clear()
