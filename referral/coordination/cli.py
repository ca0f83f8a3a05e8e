"""Commands: flask coordination rebuild-figures (the month rows of agency performance)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from referral.coordination.local_time import display_zone
from referral.coordination.stats import month_rows
from referral.extensions import db

coordination_cli = AppGroup("coordination", help="Coordination: kept figures.")


@coordination_cli.command("rebuild-figures")
def rebuild_figures() -> None:
    """Count agency performance's month rows again in the display zone (PostgreSQL): after
    DISPLAY_TIMEZONE changes, or a load that bypassed the triggers."""
    if db.engine.dialect.name != "postgresql":
        raise click.ClickException("the month rows are kept on PostgreSQL only")
    zone = display_zone().key
    written = month_rows.rebuild(zone)
    db.session.commit()
    click.echo(f"{written} month rows counted in {zone}")


def register(app: Flask) -> None:
    app.cli.add_command(coordination_cli)
