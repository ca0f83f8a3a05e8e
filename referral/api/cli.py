"""Command: flask api create-token, a token for a new service account of an agency.

For setting up an integration from the server (no administrator at a browser). The same service
function as the token page, run as the system: audited, and announced to the agency's managers.
The secret is printed once, to the terminal only.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from referral.access.scope import acting_as, system_actor
from referral.api import token_service
from referral.errors import DomainError, NotVisible
from referral.web.transaction import run_action

api_cli = AppGroup("api", help="The JSON API: tokens for other systems.")


@api_cli.command("create-token")
@click.option("--agency-id", type=int, required=True, help="The agency the token reads for.")
@click.option("--role", required=True,
              type=click.Choice(["officer", "agency_manager", "administrator"]))
@click.option("--name", required=True, help="The token's name (also its service account's).")
@click.option("--days", type=int, default=token_service.DEFAULT_DAYS, show_default=True)
def create_token(agency_id: int, role: str, name: str, days: int) -> None:
    """Create a service account of the agency and a token acting as it; print the token once."""
    actor = system_actor("cli api create-token")
    request = token_service.TokenRequest(name=name, role=role, days=days,
                                         service_account_name=name, agency_id=agency_id)
    with acting_as(actor):
        try:
            minted = run_action(lambda: token_service.create_token(actor, request))
        except NotVisible as exc:
            raise click.ClickException(f"no agency {agency_id}") from exc
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
    click.echo(f"token {minted.token.id} created for service account {minted.token.user_id} "
               f"(agency {minted.token.agency_id}, role {role}); it is shown only now:",
               err=True)
    click.echo(minted.secret)


def register(app: Flask) -> None:
    app.cli.add_command(api_cli)
