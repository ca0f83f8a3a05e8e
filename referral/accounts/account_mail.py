"""Account e-mail (invitation, password reset) through the notification outbox and mailer.

The outbox row and the broker message carry ids only. The one-time token is made here, when
the e-mail is composed in the worker, and only its hash is stored; a resent e-mail's link
replaces the earlier one. The body says what to do and holds the link, nothing else personal.
Both kinds go by e-mail only (no in-app line) and even to a user who turned notification e-mail
off: without them the user could not get into the app.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from referral.accounts import reset
from referral.accounts.models import Invitation
from referral.accounts.service import INVITATION_KIND, mint_invitation_mail_token
from referral.events.models import OutboxEvent
from referral.extensions import db
from referral.notifications.kinds import Kind, register_kind
from referral.notifications.links import external
from referral.notifications.mailer import Mail, register_composer


def _path(endpoint: str, token: str) -> str:
    return current_app.url_map.bind("localhost").build(endpoint, {"token": token})


def _compose_reset(kind: Kind, event: OutboxEvent, to: str, locale: str) -> Mail | None:
    token = reset.mint_token(event.subject_id)
    if token is None:
        return None  # used or expired before the e-mail went out: nothing to send
    minutes = int(current_app.config["PASSWORD_RESET_LIFETIME"].total_seconds() // 60)
    with force_locale(locale):
        lines = [
            _("Someone asked to reset the password of your account in the referral system."),
            _("To choose a new password, open this link within %(minutes)d minutes. It works "
              "once:", minutes=minutes),
            external(_path("accounts.password_reset", token)),
            "",
            _("If it was not you, ignore this message: your password stays as it is."),
        ]
        return Mail(to=to, subject=str(kind.title), body="\n".join(lines) + "\n")


def _compose_invitation(kind: Kind, event: OutboxEvent, to: str, locale: str) -> Mail | None:
    token = mint_invitation_mail_token(event.subject_id)
    if token is None:
        return None
    expires = db.session.execute(
        select(Invitation.expires_at).where(Invitation.id == event.subject_id)).scalar_one()
    with force_locale(locale):
        lines = [
            _("An account was made for you in the referral system."),
            _("To set your password, open this link before %(when)s. It works once:",
              when=format_datetime(expires, "medium")),
            external(_path("accounts.accept_invitation", token)),
            "",
            _("If you did not expect this message, ignore it."),
        ]
        return Mail(to=to, subject=str(kind.title), body="\n".join(lines) + "\n")


register_kind(reset.RESET_KIND, _l("Reset your password"),
              _l("A password reset was asked for your account."), ("user",),
              in_app=False, always_email=True)
register_kind(INVITATION_KIND, _l("Set your password for the referral system"),
              _l("An account was made for you."), ("user",), in_app=False, always_email=True)
register_composer(reset.RESET_KIND, _compose_reset)
register_composer(INVITATION_KIND, _compose_invitation)
