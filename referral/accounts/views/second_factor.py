"""Second-factor pages: the login step, enrolment, the user's own list, a manager's reset.

Login: after the password, a user with a factor is only *pending* (a mark in the Flask session
that expires after SECOND_FACTOR_LOGIN_TIMEOUT); the server-side session and login_user come
after the factor. A user whose role requires a factor and who has none is logged in and then
kept on the enrolment pages (``_enrolment_gate``) until one is set up.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from referral.access.scope import current_actor
from referral.accounts import passkeys, recovery_codes
from referral.accounts import second_factor as sf
from referral.accounts import service as accounts
from referral.accounts.forms import ConfirmForm, LoginForm
from referral.accounts.models import User
from referral.accounts.passwords import verify_password
from referral.accounts.ratelimit import client_address, refused_login
from referral.accounts.second_factor_forms import (
    ConfirmTotpForm,
    FactorCodeForm,
    PasskeyLoginForm,
    PasskeyRegisterForm,
    PasswordCheckForm,
)
from referral.accounts.signin import clear_keeping_language, complete_login
from referral.errors import DomainError, NotVisible
from referral.extensions import db
from referral.notifications.kinds import register_kind
from referral.notifications.links import register_target
from referral.web.database import reading_only
from referral.web.forms import attach_error
from referral.web.nav import add_nav

bp = Blueprint("factors", __name__)
PENDING = "second_factor_pending"  # in the Flask session: {"u": user id, "t": time, "n": next}
CHALLENGE = "webauthn_challenge"
_GATE_OPEN = {"accounts.factors.manage", "accounts.factors.totp_start", "accounts.factors.totp",
              "accounts.factors.passkey_new", "accounts.logout", "accounts.change_password",
              "static", "i18n.set_language", "home.health"}

add_nav("accounts.factors.manage", _l("Sign-in security"), None, 95)
register_target("second_factor", "accounts.factors.manage", "")
register_kind("account.second_factor_reset", _l("Your second factor was reset"),
              _l("A manager reset the second factors of your account and ended its sessions. "
                 "Log in and set up a new one. If you did not ask for this, tell your manager."),
              ("user",))


@bp.app_template_global("second_factor_summary")
def _summary_for_template(user_id: int) -> sf.FactorSummary:
    """The admin user page's panel (its view has checked that the actor manages the user)."""
    return sf.summary(user_id)


@bp.record_once
def _check_setting(state: Any) -> None:
    with state.app.app_context():
        sf.required_roles()  # an unknown role name stops the app at start-up


@bp.before_app_request
def _enrolment_gate() -> Response | None:
    endpoint = request.endpoint or ""
    if (not current_user.is_authenticated or endpoint in _GATE_OPEN
            or endpoint.startswith("help.")):
        return None
    if sf.is_required(current_user) and not sf.has_factor(current_user.id):
        return redirect(url_for("accounts.factors.manage"))
    return None


# --- the login step ------------------------------------------------------------------------------


def needs_second_step(user: User) -> bool:
    return sf.has_factor(user.id)


def begin_second_step(user: User, next_url: str | None) -> Response:
    """Called by the login view once the password is right: the user is pending, not logged in.
    The session is rotated here already, so nothing of the anonymous one survives."""
    clear_keeping_language()
    session[PENDING] = {"u": user.id, "t": time.time(), "n": next_url or ""}
    return redirect(url_for("accounts.factors.second_step"))


def _pending_user() -> User | None:
    data = session.get(PENDING)
    if not isinstance(data, dict):
        return None
    limit = current_app.config["SECOND_FACTOR_LOGIN_TIMEOUT"].total_seconds()
    if time.time() - float(data.get("t") or 0) > limit:
        session.pop(PENDING, None)
        return None
    user = db.session.execute(select(User).where(User.id == int(data.get("u") or 0))).scalar()
    return user if user is not None and user.is_active else None


def _back_to_login(message: str) -> Response:
    session.pop(PENDING, None)
    session.pop(CHALLENGE, None)
    flash(message, "error")
    return redirect(url_for("accounts.login"))


def _expired() -> Response:
    return _back_to_login(_("Your login has expired. Please log in again."))


def _finish_login(user: User, method: str) -> Response:
    sf.record_success(user, method, address=client_address())
    return complete_login(user, (session.get(PENDING) or {}).get("n"))


def _locked(until: datetime) -> Response:
    """The login page with the lockout message: 429 with Retry-After, as the password's."""
    session.pop(PENDING, None)
    session.pop(CHALLENGE, None)
    page = render_template("accounts/login.html", form=LoginForm(formdata=None),
                           error=accounts._locked_message())
    return refused_login(page, until)


def _refuse(user: User, method: str, form: Any) -> str | Response:
    sf.record_failure(user, method, address=client_address())
    db.session.commit()
    until = sf.locked_until(user.email, client_address())
    if until:
        return _locked(until)
    return _step_page(user, form, error=_("That code is not correct, or it was used already.")), 401


def _step_page(user: User, form: Any, *, error: str | None = None) -> str:
    summary = sf.summary(user.id)
    options = None
    if summary.passkeys:
        options, challenge = passkeys.authentication_options(user.id)
        session[CHALLENGE] = challenge.to_session()
    return render_template("accounts/factors/second_step.html", form=form, error=error,
                           summary=summary, options=options, passkey_form=PasskeyLoginForm())


def _pending_and_unlocked() -> tuple[Any, Response | None]:
    """The user half-way through logging in, or the answer when there is none or they are
    locked out (the second step counts failures like the password)."""
    user = _pending_user()
    if user is None:
        return None, _expired()
    until = sf.locked_until(user.email, client_address())
    return (user, _locked(until)) if until else (user, None)


@bp.route("/login/second-factor", methods=["GET", "POST"])
def second_step() -> str | Response:
    user, stop = _pending_and_unlocked()
    if stop is not None:
        return stop
    form = FactorCodeForm()
    if form.validate_on_submit():
        code = sf.normalise_code(form.one_time_code.data)
        if sf.looks_like_totp(code):
            method, ok = "totp", sf.check_totp(user.id, code)
        else:
            method, ok = "recovery_code", recovery_codes.use(user.id, code)
        if not ok:
            form.one_time_code.data = ""
            return _refuse(user, method, form)
        return _finish_login(user, method)
    return _step_page(user, form)


@bp.post("/login/second-factor/passkey")
def second_step_passkey() -> str | Response:
    user, stop = _pending_and_unlocked()
    if stop is not None:
        return stop
    form = PasskeyLoginForm()
    challenge = passkeys.Challenge.from_session(session.pop(CHALLENGE, None), purpose="login",
                                                user_id=user.id)
    if not form.validate_on_submit() or challenge is None:
        return _refuse(user, "passkey", FactorCodeForm(formdata=None))
    if passkeys.authenticate(user.id, challenge, form.credential.data) is None:
        return _refuse(user, "passkey", FactorCodeForm(formdata=None))
    return _finish_login(user, "passkey")


# --- the user's own factors ----------------------------------------------------------------------


def _password_forms(summary: sf.FactorSummary) -> dict[str, PasswordCheckForm]:
    forms = {"totp": PasswordCheckForm(prefix="totp"), "codes": PasswordCheckForm(prefix="codes")}
    for key in summary.passkeys:
        forms[f"pk{key.id}"] = PasswordCheckForm(prefix=f"pk{key.id}")
    return forms


def _manage_page(forms: dict[str, PasswordCheckForm] | None = None) -> str:
    summary = sf.summary(current_user.id)
    return render_template(
        "accounts/factors/manage.html", summary=summary, start_form=ConfirmForm(),
        forms=forms or _password_forms(summary), required=sf.is_required(current_user),
        pending=sf.pending_totp(current_user.id) is not None)


@bp.get("/account/second-factor")
@login_required
def manage() -> str:
    return _manage_page()


def _password_checked(form: PasswordCheckForm) -> bool:
    """Check the password outside the write lock (argon2 is slow by design); the caller's
    action then starts a transaction of its own."""
    if not form.validate_on_submit():
        return False
    db.session.rollback()
    with reading_only():
        ok = verify_password(current_user.password_hash, form.password.data)
        db.session.rollback()
    if not ok:
        form.password.errors = [_("The current password is not correct.")]
    return ok


def _with_password(prefix: str, action: Any, done: str) -> str | Response:
    summary = sf.summary(current_user.id)
    forms = _password_forms(summary)
    form = forms.get(prefix) or abort(404)
    if not _password_checked(form):
        db.session.rollback()
        return _manage_page(forms), 400
    try:
        result = action()
    except NotVisible:
        db.session.rollback()
        abort(404)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(url_for("accounts.factors.manage"))
    db.session.commit()
    if isinstance(result, list):
        return render_template("accounts/factors/recovery_codes.html", codes=result)
    flash(done, "success")
    return redirect(url_for("accounts.factors.manage"))


@bp.post("/account/second-factor/totp/remove")
@login_required
def totp_remove() -> str | Response:
    return _with_password("totp", lambda: sf.remove_totp(current_user),
                          _("The authenticator app was removed."))


@bp.post("/account/second-factor/passkeys/<int:passkey_id>/remove")
@login_required
def passkey_remove(passkey_id: int) -> str | Response:
    return _with_password(f"pk{passkey_id}", lambda: sf.remove_passkey(current_user, passkey_id),
                          _("The passkey was removed."))


@bp.post("/account/second-factor/recovery-codes")
@login_required
def recovery_codes_new() -> str | Response:
    if not sf.has_factor(current_user.id):
        abort(404)
    return _with_password("codes", lambda: recovery_codes.issue(current_user), "")


@bp.post("/account/second-factor/totp/start")
@login_required
def totp_start() -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        sf.start_totp(current_user)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(url_for("accounts.factors.manage"))
    db.session.commit()
    return redirect(url_for("accounts.factors.totp"))


@bp.route("/account/second-factor/totp", methods=["GET", "POST"])
@login_required
def totp() -> str | Response:
    factor = sf.pending_totp(current_user.id)
    if factor is None:
        return redirect(url_for("accounts.factors.manage"))
    form = ConfirmTotpForm()
    if form.validate_on_submit():
        try:
            codes = sf.confirm_totp(current_user, form.one_time_code.data)
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
            form.one_time_code.data = ""
        else:
            db.session.commit()
            flash(_("The authenticator app is set up."), "success")
            if codes:
                return render_template("accounts/factors/recovery_codes.html", codes=codes)
            return redirect(url_for("accounts.factors.manage"))
    secret, qr = sf.provisioning(current_user, factor)
    return render_template("accounts/factors/totp.html", form=form, secret=secret, qr=qr)


@bp.route("/account/second-factor/passkeys/new", methods=["GET", "POST"])
@login_required
def passkey_new() -> str | Response:
    form = PasskeyRegisterForm()
    if form.validate_on_submit():
        done = _register_passkey(form)
        if done is not None:
            return done
    options, challenge = passkeys.registration_options(current_user)
    session[CHALLENGE] = challenge.to_session()
    # Passkeys are bound to the configured origin; opened at another address (the demo at
    # 127.0.0.1 while PUBLIC_BASE_URL names localhost) the browser refuses them: say where.
    elsewhere = request.host_url.rstrip("/") != passkeys.origin()
    return render_template("accounts/factors/passkey_new.html", form=form, options=options,
                           origin=passkeys.origin() if elsewhere else None)


def _register_passkey(form: PasskeyRegisterForm) -> str | Response | None:
    """Register the passkey the browser made; None to show the page again (refused)."""
    challenge = passkeys.Challenge.from_session(
        session.pop(CHALLENGE, None), purpose="register", user_id=current_user.id)
    try:
        if challenge is None:
            raise DomainError(_("The passkey could not be registered. Try again."))
        passkeys.register(current_user, challenge, form.credential.data, form.name.data)
        codes = recovery_codes.issue_if_missing(current_user)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return None
    db.session.commit()
    flash(_("The passkey is registered."), "success")
    if codes:
        return render_template("accounts/factors/recovery_codes.html", codes=codes)
    return redirect(url_for("accounts.factors.manage"))


# --- a manager's reset ---------------------------------------------------------------------------


@bp.post("/admin/users/<int:user_id>/second-factor/reset")
@login_required
def reset(user_id: int) -> Response:
    actor = current_actor()
    try:
        user = accounts.get_user_for(actor, user_id)
    except NotVisible:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    sf.reset_factors(actor, user)
    db.session.commit()
    flash(_("The user's second factors were reset and their sessions ended. They were told."),
          "success")
    return redirect(url_for("admin.edit_user", user_id=user_id))
