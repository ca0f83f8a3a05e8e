"""Per-request wiring: who is logged in, and the actor every query is scoped to."""

from __future__ import annotations

from typing import Any

from flask import (
    Flask,
    before_render_template,
    redirect,
    request,
    request_started,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from referral.access.scope import set_request_actor
from referral.accounts.models import User
from referral.accounts.service import actor_for
from referral.accounts.sessions import load_session_user
from referral.extensions import db, login_manager
from referral.web.database import release_writer_turn, take_write_lock_first
from referral.web.transaction import install_view_retry

# Pages a user who must change their password can still reach.
_ALLOWED_BEFORE_PASSWORD_CHANGE = {
    "accounts.change_password", "accounts.logout", "static", "i18n.set_language", "home.health",
}


def register(app: Flask) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.session_protection = None  # sessions are revocable server-side instead

    # SQLite: the request's transactions take the write lock up front (web/database.py), from
    # before the session is loaded (its last-seen stamp writes) until the page renders; what
    # the template still loads is read without holding the writers back.
    request_started.connect(_writes_first, app)
    before_render_template.connect(_render_reads_only, app)
    install_view_retry(app)

    @login_manager.user_loader
    def _load_user(user_id: str) -> User | None:
        user = load_session_user(session.get("sid"))
        if user is None or str(user.id) != user_id:
            return None
        return user

    @app.before_request
    def _set_actor() -> Any:
        set_request_actor(None)
        if request.endpoint == "static":
            return None
        if request.method in ("GET", "HEAD"):
            # A page commits only its audit rows, then renders what it read: keep those objects
            # loaded, or every row (and the logged-in user) is fetched again, one query each,
            # while the template renders. The session ends with the request.
            db.session().expire_on_commit = False
        if request.blueprint == "api":
            return None  # the JSON API authenticates by token only (referral/api/auth.py)
        if current_user.is_authenticated:
            set_request_actor(actor_for(current_user))
            if (
                current_user.must_change_password
                and request.endpoint not in _ALLOWED_BEFORE_PASSWORD_CHANGE
            ):
                return redirect(url_for("accounts.change_password"))
        return None

    @app.teardown_request
    def _clear_actor(_exc: BaseException | None) -> None:
        set_request_actor(None)
        release_writer_turn()  # normally given back at COMMIT / ROLLBACK already


def _writes_first(_app: Flask, **_extra: Any) -> None:
    take_write_lock_first(True)


def _render_reads_only(_app: Flask, **_extra: Any) -> None:
    take_write_lock_first(False)
