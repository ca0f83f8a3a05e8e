"""The closure checklist page of a case: its items, the lead agency manager's sign-off."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, Role, require
from referral.access.scope import current_actor
from referral.cases.views import render_and_commit
from referral.closure import service
from referral.closure.forms import ChecklistForm, SignOffForm
from referral.web.forms import form_int
from referral.web.submit import run_or_flash, submit_form

bp = Blueprint("closure", __name__, url_prefix="/closure")


@bp.route("/cases/<int:case_id>", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def checklist(case_id: int) -> str | Response:
    actor = current_actor()
    case, row, items = service.checklist_for(actor, case_id)
    form = ChecklistForm(obj=row)
    if not form.is_submitted():
        form.version.data = str(row.version) if row else ""
    done = submit_form(form, lambda: service.save_checklist(actor, case_id, service.ChecklistInput(
        needs_met=form.needs_met.data, last_contact_on=form.last_contact_on.data,
        safety_plan_reviewed=form.safety_plan_reviewed.data,
        told_can_return=form.told_can_return.data), expected_version=form_int(form.version.data)),
        done=url_for("closure.checklist", case_id=case_id), message=_("Checklist saved."))
    return done or render_and_commit(
        "closure/checklist.html", case=case, row=row, items=items, form=form,
        sign_form=SignOffForm(version=str(row.version) if row else ""),
        manager=actor.role == Role.AGENCY_MANAGER, policy=service.policy())


@bp.post("/cases/<int:case_id>/sign-off")
@login_required
@require(Permission.CASE_WRITE)
def sign_off(case_id: int) -> Response:
    actor = current_actor()
    form = SignOffForm()
    version = form_int(form.version.data)
    run_or_flash(lambda: service.sign_off(actor, case_id, expected_version=version),
                 message=_("Checklist signed off: the case may now be closed."))
    return redirect(url_for("closure.checklist", case_id=case_id))
