"""Emergency access pages: open a case from the search (reason + password), and the
coordinators' "mark reviewed". Registered on the cases Blueprint (imported by views.py)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, PasswordField, TextAreaField
from wtforms.validators import DataRequired, Length

from referral.access.permissions import Permission, require
from referral.access.scope import current_actor
from referral.accounts import throttle
from referral.accounts.forms import REQUIRED
from referral.accounts.passwords import verify_password
from referral.audit import service as audit
from referral.cases import emergency
from referral.cases.views import bp
from referral.errors import DomainError
from referral.extensions import db
from referral.web.database import reading_only
from referral.web.forms import attach_error
from referral.web.transaction import run_action


class EmergencyAccessForm(FlaskForm):
    term = HiddenField(validators=[DataRequired(REQUIRED), Length(max=120)])
    reason = TextAreaField(_l("Why do you need this case now?"),
                           validators=[DataRequired(REQUIRED), Length(max=1000)])
    password = PasswordField(_l("Your password, to confirm it is you"),
                             validators=[DataRequired(REQUIRED), Length(max=128)])


class ReviewedForm(FlaskForm):
    pass


@bp.app_context_processor
def _emergency_helpers() -> dict[str, Any]:
    def emergency_offer(term: str | None) -> EmergencyAccessForm | None:
        """The break-the-glass form under a search by exact IIN or reference, for those who
        may use it (None otherwise)."""
        if not term or emergency._kind_of(term) is None or not current_user.is_authenticated:
            return None
        if not emergency.may_use(current_actor()):
            return None
        form = EmergencyAccessForm(formdata=None)
        form.term.data = term.strip()
        return form

    def emergency_to_review() -> list[emergency.ReviewRow]:
        return emergency.list_for_review(current_actor())

    return {"emergency_offer": emergency_offer, "emergency_to_review": emergency_to_review,
            "emergency_hours": lambda: int(emergency.duration().total_seconds() // 3600)}


def _password_ok(password: str) -> bool:
    """The officer's password again, checked outside the write lock (argon2 is slow); a wrong
    one counts as a failed login of the account (its lockout)."""
    db.session.rollback()
    with reading_only():
        email = current_user.email
        locked = throttle.locked_until(email)
        ok = not locked and verify_password(current_user.password_hash, password)
        db.session.rollback()
    if not ok:
        def refuse() -> None:
            if not locked:
                throttle.register_failure(email)
            audit.record("case.emergency_access", object_type="case", outcome="denied",
                         details={"reason": "password"})
        run_action(refuse)
    return ok


@bp.post("/emergency")
@login_required
@require(Permission.CASE_EMERGENCY_ACCESS)
def emergency_access() -> str | Response:
    actor = current_actor()
    form = EmergencyAccessForm()
    if form.validate_on_submit():
        if not _password_ok(form.password.data or ""):
            form.password.errors = [_("The password is not correct.")]
        else:
            try:
                grants = run_action(lambda: emergency.start_emergency_access(
                    actor, term=form.term.data or "", reason=form.reason.data or ""))
            except DomainError as err:
                attach_error(form, err)
            else:
                flash(_("Emergency access opened, read-only, for %(hours)d hours. The agency "
                        "that leads the case and the coordinator were told.",
                        hours=int(emergency.duration().total_seconds() // 3600)), "info")
                if len(grants) == 1:
                    return redirect(url_for("cases.detail", case_id=grants[0].case_id))
                db.session.commit()
                return render_template("cases/emergency_opened.html", grants=grants)
    form.password.data = ""
    db.session.commit()
    return render_template("cases/emergency.html", form=form)


@bp.post("/emergency/<int:grant_id>/reviewed")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def emergency_reviewed(grant_id: int) -> Response:
    actor = current_actor()
    if ReviewedForm().validate_on_submit():
        try:
            run_action(lambda: emergency.mark_reviewed(actor, grant_id))
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(_("Emergency access marked reviewed."), "success")
    return redirect(url_for("coordination.review") + "#emergency-access")
