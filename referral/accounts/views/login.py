"""Log in and out, change password, accept an invitation."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response

from referral.accounts import service
from referral.accounts.first_login import next_after_login
from referral.accounts.forms import ChangePasswordForm, ConfirmForm, LoginForm, SetPasswordForm
from referral.accounts.ratelimit import client_address, login_limits, refused_login
from referral.accounts.sessions import end_session
from referral.accounts.signin import clear_keeping_language, complete_login
from referral.accounts.views import second_factor as second_factor_views
from referral.accounts.views.blueprint import bp
from referral.audit import service as audit
from referral.extensions import db
from referral.web.database import reading_only
from referral.web.submit import submit_form


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        return _log_in(form)
    return render_template("accounts/login.html", form=form, error=None)


def _log_in(form: LoginForm) -> str | Response:
    """The password step of a login: refused (and counted), on to the second factor, or done.

    The password is checked before the login's transaction, in a reading one: the login's
    holds SQLite's write lock (web/database.py), which must not wait for argon2."""
    db.session.rollback()
    with reading_only():
        checked = service.check_password(form.email.data, form.password.data)
        db.session.rollback()
    try:
        user = service.authenticate(form.email.data, form.password.data, checked=checked,
                                    address=client_address())
    except service.LoginRefused as refused:
        db.session.commit()  # keep the failure count and the audit row
        form.password.data = ""
        return refused_login(render_template("accounts/login.html", form=form,
                                             error=refused.message), refused.locked_until)
    if second_factor_views.needs_second_step(user):
        db.session.commit()  # the password's audit row; the login completes after the factor
        return second_factor_views.begin_second_step(user, form.next.data)
    return complete_login(user, form.next.data)


@bp.post("/logout")
def logout() -> Response:
    if current_user.is_authenticated:
        audit.record("logout", object_type="user", object_id=current_user.id)
    end_session(session.get("sid"))
    db.session.commit()
    logout_user()
    clear_keeping_language()
    flash(_("You have logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> str | Response:
    form = ChangePasswordForm()
    done = submit_form(form, lambda: service.change_password(
        current_user, current=form.current_password.data, new=form.new_password.data,
        confirm=form.confirm_password.data, keep_token=session.get("sid")),
        done=lambda _result: next_after_login(current_user, url_for("home.index")),
        message=_("Your password has been changed. Other sessions were logged out."))
    if done is not None:
        return done
    return render_template("accounts/change_password.html", form=form,
                           forced=current_user.must_change_password)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> str | Response:
    invitation = service.find_invitation(token)
    if invitation is None:
        return render_template("accounts/invitation_invalid.html"), 404
    form = SetPasswordForm()
    done = submit_form(form, lambda: service.accept_invitation(
        token, password=form.new_password.data, confirm=form.confirm_password.data),
        done=url_for("accounts.login"), message=_("Your password is set. You can log in now."))
    if done is not None:
        return done
    return render_template("accounts/set_password.html", form=form,
                           email=invitation.user.email, confirm_form=ConfirmForm())

