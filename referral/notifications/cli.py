"""Commands: run the notification jobs once, without a worker (operations and debugging)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from referral.notifications import jobs

cli = AppGroup("notifications", help="Notification jobs, run once in this process.")


@cli.command("sweep")
def sweep() -> None:
    """Send the reminders, expiries, escalations and digests due now (each at most once)."""
    counts = jobs.sweep_reminders()
    click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))


@cli.command("send-now")
def send_now() -> None:
    """Publish pending outbox rows and send their e-mails here, without the broker."""
    sent: list[int] = []

    def deliver_inline(delivery_id: int) -> None:
        jobs.deliver(delivery_id)
        sent.append(delivery_id)

    jobs.publish(deliver_inline)
    click.echo(f"{len(sent)} deliveries attempted")


def register(app: Flask) -> None:
    app.cli.add_command(cli)
