"""Commands: run the webhook deliveries that are due, once, without a worker (operations)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from referral.webhooks import jobs

cli = AppGroup("webhooks", help="Webhook deliveries, run once in this process.")


@cli.command("deliver")
def deliver() -> None:
    """Post the webhook deliveries due now (new ones, retries) here, without the broker."""
    click.echo(f"{jobs.run_due()} deliveries attempted")


def register(app: Flask) -> None:
    app.cli.add_command(cli)
