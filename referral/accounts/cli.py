"""Commands: flask accounts deactivate / reset-second-factor, for incident response.

The same service functions as the user's admin page (audited, every session of the user ended),
run from the server: a leaked account can be shut out even when no administrator can log in,
or when the leaked account is the only administrator's.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from referral.access.scope import Actor, acting_as, system_actor
from referral.accounts import second_factor, service
from referral.accounts.models import User, UserSession
from referral.extensions import db

accounts_cli = AppGroup("accounts", help="Accounts: shut out a leaked account from the server.")


def _user(email: str) -> User:
    user = service.find_user_by_email(email)
    if user is None:
        raise click.ClickException("no user with that e-mail address")
    return user


def _live_sessions(user: User) -> int:
    return db.session.execute(
        select(func.count()).select_from(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))).scalar_one()


def _actor(command: str) -> Actor:
    return system_actor(f"cli accounts {command}")


@accounts_cli.command("deactivate")
@click.option("--email", required=True)
def deactivate(email: str) -> None:
    """End every session of the user and deactivate the account (audited as user.deactivate).
    Reactivate on the user's admin page."""
    actor = _actor("deactivate")
    with acting_as(actor):
        user = _user(email)
        ended = _live_sessions(user)
        service.set_active(actor, user, False)
        db.session.commit()
    click.echo(f"user {user.id} deactivated; {ended} session(s) ended")


@accounts_cli.command("reset-second-factor")
@click.option("--email", required=True)
def reset_second_factor(email: str) -> None:
    """Remove every authenticator app, passkey and recovery code of the user and end their
    sessions; they enrol again at their next login and are told (audited)."""
    actor = _actor("reset-second-factor")
    with acting_as(actor):
        user = _user(email)
        ended = _live_sessions(user)
        second_factor.reset_factors(actor, user)
        db.session.commit()
    click.echo(f"second factors of user {user.id} reset; {ended} session(s) ended")


def register(app: Flask) -> None:
    app.cli.add_command(accounts_cli)
