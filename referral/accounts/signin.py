"""The last step of every login (password alone, or password then a second factor).

One place rotates the Flask session, so nothing from the anonymous session (but the chosen
language) survives into the logged-in one, whichever way the user proved who they are.
"""

from __future__ import annotations

from flask import redirect, session, url_for
from flask_login import login_user
from werkzeug.wrappers import Response

from referral.accounts.first_login import next_after_login
from referral.accounts.models import User
from referral.accounts.sessions import start_session
from referral.extensions import db
from referral.web.redirects import safe_next


def clear_keeping_language() -> None:
    """Empty the Flask session but for the chosen language: at every login, logout and reset,
    so nothing of one user's session reaches the next."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def complete_login(user: User, next_url: str | None) -> Response:
    """Log the user in and send them on: a forced password change first, then the first-login
    guide, then where they were going (``next_url``, if it stays on this site)."""
    clear_keeping_language()
    session["sid"] = start_session(user)
    session.permanent = True
    login_user(user)
    db.session.commit()
    if user.must_change_password:
        return redirect(url_for("accounts.change_password"))
    return redirect(next_after_login(user, safe_next(next_url) or url_for("home.index")))
