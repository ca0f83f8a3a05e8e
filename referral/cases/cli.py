"""Commands: flask cases load-offences / add-offence (the offences reference table)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from referral.access.scope import acting_as, system_actor
from referral.cases import offences
from referral.errors import DomainError
from referral.extensions import db

cases_cli = AppGroup("cases", help="Cases: reference data.")


@cases_cli.command("load-offences")
@click.option("--file", "path", default=None, help="JSON file (default: the shipped table)")
def load_offences(path: str | None) -> None:
    """Bring the offences table in line with the data file: add and correct rows (idempotent)."""
    with acting_as(system_actor("cli load-offences")):
        added = offences.load_offences(path)
        db.session.commit()
    click.echo(f"{added} offences added or corrected")


@cases_cli.command("add-offence")
@click.option("--code", type=click.Choice(["criminal", "administrative"]), required=True)
@click.option("--article", required=True)
@click.option("--kind", type=click.Choice(["crime", "criminal_misdemeanour", "administrative"]),
              required=True)
@click.option("--source", default="", help="Where it was checked (the official text's address)")
@click.option("--title-en", required=True)
@click.option("--title-ru", default="")
@click.option("--title-kk", default="")
@click.option("--valid-from", default=None, help="YYYY-MM-DD")
@click.option("--valid-until", default=None, help="YYYY-MM-DD")
def add_offence(code: str, article: str, kind: str, source: str, title_en: str,
                title_ru: str, title_kk: str, valid_from: str | None,
                valid_until: str | None) -> None:
    """Add one offence to the reference table."""
    with acting_as(system_actor("cli add-offence")):
        try:
            offence = offences.add_offence(
                code=code, article=article, kind=kind, title_en=title_en, title_ru=title_ru,
                title_kk=title_kk, valid_from=valid_from, valid_until=valid_until,
                source=source)
        except (DomainError, ValueError) as err:
            raise click.ClickException(getattr(err, "message", str(err))) from err
        db.session.commit()
    click.echo(f"offence {offence.id} added")


def register(app: Flask) -> None:
    app.cli.add_command(cases_cli)
