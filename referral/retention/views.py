"""Retention pages: the dry-run report (administrators, coordinators) and legal holds
(coordinators, agency managers): the list, placing one on a case, releasing it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, require, role_can
from referral.access.scope import acting_as, current_actor
from referral.cases.models import Case
from referral.cases.service import load_case
from referral.cases.views import _do, render_and_commit
from referral.errors import NotVisible
from referral.extensions import db
from referral.retention import policy, service
from referral.retention.forms import PlaceHoldForm, ReleaseHoldForm
from referral.retention.models import LegalHold
from referral.web.nav import add_nav

bp = Blueprint("retention", __name__, url_prefix="/retention")

add_nav("retention.holds", _l("Legal holds"), Permission.LEGAL_HOLD, 86)
add_nav("retention.report", _l("Data retention"), Permission.RETENTION_REPORT, 87)


@bp.app_context_processor
def _hold_helpers() -> dict[str, Any]:
    def legal_hold_of(case: Case) -> dict[str, Any] | None:
        """For the case page: the hold in force and whether the user may place or release one
        (None when the user may do neither)."""
        if not current_user.is_authenticated or not role_can(current_user.role,
                                                             Permission.LEGAL_HOLD):
            return None
        actor = current_actor()
        if not service.may_hold(actor, case):
            return None
        return {"hold": service.case_hold(actor, case.id)}

    return {"legal_hold_of": legal_hold_of}


@bp.get("/")
@login_required
@require(Permission.RETENTION_REPORT)
def report() -> str:
    rows = service.report_for(current_actor())
    kinds = policy.kinds()
    return render_and_commit("retention/report.html", rows=rows, kinds=kinds,
                             basis=policy.basis())


@bp.get("/holds")
@login_required
@require(Permission.LEGAL_HOLD)
def holds() -> str:
    return render_and_commit("retention/holds.html",
                             holds=service.list_holds(current_actor()))


@bp.route("/cases/<int:case_id>/hold", methods=["GET", "POST"])
@login_required
@require(Permission.LEGAL_HOLD)
def place(case_id: int) -> str | Response:
    actor = current_actor()
    case = load_case(actor, case_id)
    if not service.may_hold(actor, case):
        raise NotVisible("case", case_id)
    form = PlaceHoldForm()
    if form.validate_on_submit() and _do(
            lambda: service.place_hold(actor, case_id, reason=form.reason.data or ""),
            form) is not None:
        flash(_("Legal hold placed: this case's data will not be purged until it is "
                "released."), "success")
        return redirect(url_for("cases.detail", case_id=case_id))
    return render_and_commit("retention/hold_form.html", form=form, case=case, hold=None,
                             title=_("Place a legal hold"))


@bp.route("/holds/<int:hold_id>/release", methods=["GET", "POST"])
@login_required
@require(Permission.LEGAL_HOLD)
def release(hold_id: int) -> str | Response:
    actor = current_actor()
    hold = _hold_for(hold_id)
    case = load_case(actor, hold.case_id)
    if not service.may_hold(actor, case):
        raise NotVisible("legal_hold", hold_id)
    form = ReleaseHoldForm()
    if form.validate_on_submit() and _do(
            lambda: service.release_hold(actor, hold_id, reason=form.release_reason.data or ""),
            form) is not None:
        flash(_("Legal hold released."), "success")
        return redirect(url_for("cases.detail", case_id=hold.case_id))
    return render_and_commit("retention/hold_form.html", form=form, case=case, hold=hold,
                             title=_("Release the legal hold"))


def _hold_for(hold_id: int) -> LegalHold:
    with acting_as(current_actor()):
        hold = db.session.execute(select(LegalHold).where(LegalHold.id == hold_id)
                                  ).scalar_one_or_none()
    if hold is None:
        raise NotVisible("legal_hold", hold_id)
    return hold
