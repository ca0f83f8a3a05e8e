"""Emergency access pages: open a case from the search (reason + password), and the
coordinators' "mark reviewed"."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, require
from referral.access.scope import Actor, current_actor
from referral.accounts import throttle
from referral.accounts.passwords import verify_password
from referral.audit import service as audit
from referral.cases import emergency
from referral.cases.forms import EmergencyAccessForm, ReviewedForm
from referral.cases.views.blueprint import bp
from referral.cases.views.helpers import _do, case_url
from referral.extensions import db
from referral.web.database import reading_only
from referral.web.submit import run_or_flash
from referral.web.transaction import run_action


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


def _open(actor: Actor, form: EmergencyAccessForm) -> str | Response | None:
    """Open the case(s) asked for: the case page for one, the list for several; None to show
    the form again (a wrong password, a refusal)."""
    if not _password_ok(form.password.data or ""):
        form.password.errors = [_("The password is not correct.")]
        return None
    grants = _do(lambda: emergency.start_emergency_access(
        actor, term=form.term.data or "", reason=form.reason.data or ""), form)
    if grants is None:
        return None
    flash(_("Emergency access opened, read-only, for %(hours)d hours. The agency that leads the "
            "case and the coordinator were told.",
            hours=int(emergency.duration().total_seconds() // 3600)), "info")
    if len(grants) == 1:
        return redirect(case_url(grants[0].case_id))
    db.session.commit()
    return render_template("cases/emergency_opened.html", grants=grants)


@bp.post("/emergency")
@login_required
@require(Permission.CASE_EMERGENCY_ACCESS)
def emergency_access() -> str | Response:
    form = EmergencyAccessForm()
    if form.validate_on_submit():
        opened = _open(current_actor(), form)
        if opened is not None:
            return opened
    form.password.data = ""
    db.session.commit()
    return render_template("cases/emergency.html", form=form)


@bp.post("/emergency/<int:grant_id>/reviewed")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def emergency_reviewed(grant_id: int) -> Response:
    actor = current_actor()
    if ReviewedForm().validate_on_submit():
        run_or_flash(lambda: emergency.mark_reviewed(actor, grant_id),
                     message=_("Emergency access marked reviewed."))
    return redirect(url_for("coordination.review") + "#emergency-access")
