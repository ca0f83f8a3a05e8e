"""flask db-grant-app-role ROLE: give the app's database role exactly what it needs."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from referral.audit.db_roles import grant_app_role
from referral.extensions import db


@click.command("db-grant-app-role")
@click.argument("role")
@with_appcontext
def db_grant_app_role(role: str) -> None:
    """Grant ROLE row access to every table (not the audit trail's UPDATE/DELETE), no DDL, no
    TRUNCATE; run as the owner role after `flask db upgrade` (PostgreSQL)."""
    try:
        with db.engine.begin() as connection:
            grant_app_role(connection, role)
    except (ValueError, RuntimeError) as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"privileges of {role} set")


def register(app: Flask) -> None:
    app.cli.add_command(db_grant_app_role)
