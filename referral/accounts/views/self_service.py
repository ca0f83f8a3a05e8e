"""Pages a user runs on their own account: password reset by e-mail, their sessions.

Added to the accounts blueprint by ``referral.accounts.views``.
"""

from __future__ import annotations

import time

from flask import current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response

from referral.accounts import account_mail, devices, reset  # noqa: F401 - registers mail kinds
from referral.accounts.forms import ConfirmForm, ForgotPasswordForm, SetPasswordForm
from referral.accounts.ratelimit import clear_account_login_limit, reset_request_limits
from referral.accounts.signin import clear_keeping_language
from referral.accounts.views.blueprint import bp
from referral.errors import DomainError
from referral.extensions import db
from referral.web.forms import attach_error


def _even_out(started: float) -> None:
    """Answer no sooner than PASSWORD_RESET_ANSWER_SECONDS after ``started``: a known address
    (a row, an event) and an unknown one (nothing) then take the same time."""
    floor = float(current_app.config["PASSWORD_RESET_ANSWER_SECONDS"])
    left = floor - (time.monotonic() - started)
    if left > 0:
        time.sleep(left)


@bp.route("/password/forgot", methods=["GET", "POST"])
@reset_request_limits
def forgot_password() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("accounts.change_password"))
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        started = time.monotonic()
        reset.request_reset(form.email.data or "")
        db.session.commit()
        _even_out(started)
        return render_template("accounts/reset_sent.html")
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def password_reset(token: str) -> str | Response | tuple[str, int]:
    if reset.find_reset(token) is None:
        return render_template("accounts/reset_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = reset.complete_reset(token, password=form.new_password.data or "",
                                        confirm=form.confirm_password.data or "")
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
        else:
            email = user.email
            db.session.commit()
            return _all_sessions_ended(email)
    return render_template("accounts/reset_password.html", form=form)


def _all_sessions_ended(email: str) -> Response:
    """After a reset every session of the account has ended, this browser's too: start afresh,
    keeping only the language."""
    clear_account_login_limit(email)
    if current_user.is_authenticated:
        logout_user()
    clear_keeping_language()
    flash(_("Your password has been changed and all your sessions have ended. "
            "You can log in now."), "success")
    return redirect(url_for("accounts.login"))


@bp.get("/account/sessions")
@login_required
def sessions() -> str:
    current = session.get("sid")
    rows = devices.active_sessions(current_user.id)
    return render_template("accounts/sessions.html", rows=rows, confirm_form=ConfirmForm(),
                           current={row.id for row in rows if devices.is_current(row, current)})


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_one_session(session_id: int) -> Response:
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("accounts.sessions"))
    devices.end_own_session(current_user.id, session_id)
    db.session.commit()
    flash(_("The session has ended."), "success")
    return redirect(url_for("accounts.sessions"))


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions() -> Response:
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("accounts.sessions"))
    devices.end_other_sessions(current_user.id, session.get("sid"))
    db.session.commit()
    flash(_("All your other sessions have ended."), "success")
    return redirect(url_for("accounts.sessions"))
