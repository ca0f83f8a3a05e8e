"""The health of background work for administrators: broker, queue depth, sweeps, deliveries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from referral.notifications import delivery, sweeps
from referral.notifications.models import Delivery

QUEUE = "celery"


def queue_depth() -> int | None:
    """Messages waiting in the broker's default queue; None when the broker does not answer."""
    from referral.home.health import broker_connection

    url = current_app.config["CELERY_BROKER_URL"]
    try:
        with broker_connection(url) as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
            # Declaring the default queue is harmless (the worker does the same) and answers
            # with its depth on Redis and on the embedded SQLite transport alike.
            return int(conn.default_channel.queue_declare(queue=QUEUE, passive=False)
                       .message_count)
    except Exception:  # noqa: BLE001 - unreachable or queue not declared yet: unknown
        return None


@dataclass
class HealthReport:
    broker: str
    queue_depth: int | None
    last_publish: datetime | None
    last_sweep: datetime | None
    counts: dict[str, int] = field(default_factory=dict)


def report() -> HealthReport:
    from referral.home.health import broker_status

    states = sweeps.sweep_states()
    publish, remind = states.get(sweeps.PUBLISH), states.get(sweeps.REMINDERS)
    return HealthReport(
        broker=broker_status(),
        queue_depth=queue_depth(),
        last_publish=publish.last_finished_at if publish else None,
        last_sweep=remind.last_finished_at if remind else None,
        counts=delivery.pending_counts(),
    )


# --- failed deliveries in words ------------------------------------------------------------------
# ``last_error`` keeps the SMTP server's reply or the network error as the worker saw it (for the
# logs and support); the page says what happened in the administrator's language instead.

_NETWORK_PATTERNS: tuple[tuple[tuple[str, ...], object], ...] = (
    (("ConnectionRefused", "Connection refused"), _l("Cannot connect to the mail server")),
    (("Timeout", "timed out"), _l("The mail server did not answer in time")),
    (("gaierror", "Name or service not known", "nodename nor servname"),
     _l("The mail server's address could not be found")),
    (("SSL", "certificate"), _l("The secure connection to the mail server failed")),
    (("SMTPAuthentication", "Authentication"), _l("The mail server refused the login")),
    (("Disconnected", "ConnectionReset", "BrokenPipe", "closed"),
     _l("The mail server closed the connection")),
)


def describe_error(error: str | None) -> str:
    """A failed delivery's reason in words, never an exception's class name or raw text."""
    text = (error or "").strip()
    if not text:
        return ""
    code = text.split(" ", 1)[0]
    if code.isdigit() and len(code) == 3:
        if code.startswith("4"):
            return _("The mail server asked to try later (code %(code)s)", code=code)
        if code in ("550", "551", "553"):
            return _("The mail server refused the address (code %(code)s)", code=code)
        return _("The mail server refused the message (code %(code)s)", code=code)
    for needles, label in _NETWORK_PATTERNS:
        if any(needle in text for needle in needles):
            return str(label)
    return _("Sending failed for another reason (see the worker's log)")


@dataclass
class FailedDelivery:
    """One row of the failed-deliveries table: the delivery and its words."""

    delivery: Delivery
    recipient: str
    error: str


def failed_rows(*, limit: int = 100) -> list[FailedDelivery]:
    """The failed deliveries with their recipients' names (two queries for the whole list)."""
    from referral.accounts.models import User
    from referral.agencies.models import Agency
    from referral.extensions import db

    failed = delivery.failed_deliveries(limit=limit)
    user_ids = {d.user_id for d in failed if d.user_id}
    agency_ids = {d.agency_id for d in failed if d.agency_id and not d.user_id}
    users = dict(db.session.execute(select(User.id, User.full_name)
                                    .where(User.id.in_(user_ids))).tuples().all()) \
        if user_ids else {}
    agencies = dict(db.session.execute(select(Agency.id, Agency.name)
                                       .where(Agency.id.in_(agency_ids))).tuples().all()) \
        if agency_ids else {}
    rows = []
    for d in failed:
        if d.user_id:
            who = users.get(d.user_id) or _("a user who no longer exists")
        elif d.agency_id:
            who = _("Duty mailbox of %(agency)s",
                    agency=agencies.get(d.agency_id) or _("an agency"))
        else:
            who = _("unknown recipient")
        rows.append(FailedDelivery(d, str(who), describe_error(d.last_error)))
    return rows
