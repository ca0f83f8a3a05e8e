"""Commands: flask create-agency, create-user, seed-demo, load-regions, audit verify."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from referral.access.permissions import Role
from referral.access.scope import acting_as, system_actor
from referral.accounts import service as accounts
from referral.agencies import service as agencies
from referral.agencies.catalogue import SERVICES
from referral.agencies.models import AgencyType
from referral.audit import service as audit
from referral.audit.verify import default_workers
from referral.errors import DomainError
from referral.extensions import db

audit_cli = AppGroup("audit", help="Audit trail commands.")


@audit_cli.command("verify")
@click.option("--workers", type=int, default=None,
              help="processes walking the chain side by side (PostgreSQL; default: the "
                   "machine's cores, up to 4)")
def audit_verify(workers: int | None) -> None:
    """Walk the hash chain and name the first broken row."""
    report = audit.verify_chain(workers=workers or default_workers())
    if report.ok:
        click.echo(f"audit chain intact: {report.rows_checked} rows")
        return
    where = (f"row id {report.first_broken_id}" if report.first_broken_id is not None
             else f"its end, after {report.rows_checked} rows")
    click.echo(f"audit chain BROKEN at {where}: {report.reason}", err=True)
    sys.exit(1)


@click.command("load-regions")
@with_appcontext
def load_regions() -> None:
    """Load or refresh the 20 regions of Kazakhstan (idempotent)."""
    count = agencies.load_regions()
    db.session.commit()
    click.echo(f"{count} regions loaded")


@click.command("create-agency")
@click.option("--name", required=True)
@click.option("--type", "type_", type=click.Choice([t.value for t in AgencyType]), required=True)
@click.option("--region", required=True, help="ISO code, e.g. KZ-75")
@click.option("--email", default="")
@click.option("--service", "services", multiple=True, type=click.Choice(list(SERVICES)))
@with_appcontext
def create_agency(name: str, type_: str, region: str, email: str, services: tuple[str]) -> None:
    """Create an agency."""
    with acting_as(system_actor("cli create-agency")):
        try:
            agency = agencies.create_agency(None, agencies.AgencyInput(
                name=name, type=type_, region_code=region, email=email, services=services))
        except DomainError as err:
            raise click.ClickException(err.message) from err
        db.session.commit()
    click.echo(f"agency {agency.id} created")


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--agency-id", type=int, required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--region", "regions", multiple=True, help="coordinators: ISO region code(s)")
@with_appcontext
def create_user(email: str, full_name: str, agency_id: int, role: str,
                regions: tuple[str]) -> None:
    """Create a user; the password is prompted for, never taken from the command line."""
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    actor = system_actor("cli create-user")
    with acting_as(actor):
        try:
            user, _ = accounts.create_user(
                actor,
                accounts.UserInput(email=email, full_name=full_name, agency_id=agency_id,
                                   role=role, region_codes=regions),
                initial_password=password,
            )
        except DomainError as err:
            raise click.ClickException(err.message) from err
        user.must_change_password = False
        db.session.commit()
    click.echo(f"user {user.id} created")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load demo agencies and one user per role (refused in production)."""
    if not current_app.config.get("DEMO_ALLOWED"):
        raise click.ClickException("seed-demo is refused in production configuration")
    from referral.demo import seed

    with acting_as(system_actor("seed-demo")):
        logins = seed()
        db.session.commit()
    click.echo(f"Demo logins (password for all: {logins.password}):")
    for email, label in logins.accounts:
        click.echo(f"  {email:42} {label}")


def register_commands(app: Flask) -> None:
    for command in (audit_cli, load_regions, create_agency, create_user, seed_demo):
        app.cli.add_command(command)
