"""``flask ops beat-alive``: the beat container's healthcheck (docker-compose.yml)."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from referral.ops import heartbeats

ops = AppGroup("ops", help="Operations: liveness checks of the background jobs.")


@ops.command("beat-alive")
@click.option("--max-age", type=click.IntRange(min=1), default=None,
              help="Seconds the last heartbeat may be old (default: HEALTH_BEAT_MAX_AGE).")
def beat_alive(max_age: int | None) -> None:
    """Exit 0 when the beat's heartbeat is recent, 1 when it is stale or missing."""
    limit = max_age or current_app.config["HEALTH_BEAT_MAX_AGE"].total_seconds()
    try:
        age = heartbeats.beat_age()
    except Exception as exc:  # noqa: BLE001 - unreadable is as good as stale for a healthcheck
        click.echo(f"cannot read the heartbeat: {type(exc).__name__}", err=True)
        sys.exit(1)
    if age is None:
        click.echo("no heartbeat recorded yet", err=True)
        sys.exit(1)
    if age > limit:
        click.echo(f"stale: last heartbeat {age:.0f} s ago (limit {limit:.0f} s)", err=True)
        sys.exit(1)
    click.echo(f"ok: last heartbeat {age:.0f} s ago")


def register(app: Flask) -> None:
    app.cli.add_command(ops)
