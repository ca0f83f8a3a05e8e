"""Access requests: an agency asks the owner of a case it may not see; the owner answers."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, require, role_can
from referral.access.scope import Actor, current_actor
from referral.cases import access_requests
from referral.cases import service as cases
from referral.cases.forms import AccessRequestForm, DecideAccessForm
from referral.cases.models import AccessRequest
from referral.cases.scope import DATA_CATEGORIES
from referral.cases.views.blueprint import bp
from referral.cases.views.helpers import CATEGORY_LABELS, case_url, render_and_commit
from referral.cases.views.people import person_input
from referral.errors import NotVisible
from referral.web.submit import run_or_flash


@bp.post("/<int:case_id>/access-requests")
@login_required
@require(Permission.CASE_WRITE)
def request_access(case_id: int) -> str | Response:
    actor = current_actor()
    cases.writable_case(actor, case_id)
    form = AccessRequestForm()
    if form.validate_on_submit() and (form.agency_id.data or "").isdigit():
        run_or_flash(lambda: access_requests.request_access(
            actor, from_case_id=case_id, agency_id=int(form.agency_id.data),
            person=person_input(form), reason=form.reason.data or ""),
            message=_("Your request was sent. You will be told the answer."))
    else:
        flash(_("Say why your agency needs access."), "error")
    return redirect(case_url(case_id))


def _case_references(actor: Actor, incoming: list[AccessRequest]) -> dict[int, str | None]:
    """The reference of each case asked about, None for a restricted case the manager is not
    named on (the request still shows, without it)."""
    found: dict[int, str | None] = {}
    for req in incoming:
        try:
            found[req.id] = cases.writable_case(actor, req.case_id).reference
        except Exception:  # noqa: BLE001 - a restricted case the manager is not named on
            found[req.id] = None
    return found


@bp.get("/access-requests")
@login_required
@require(Permission.CASE_READ)
def access_request_list() -> str:
    actor = current_actor()
    incoming, outgoing = access_requests.list_access_requests(actor)
    decide_form = DecideAccessForm()
    decide_form.categories.choices = [(c, str(CATEGORY_LABELS[c])) for c in DATA_CATEGORIES]
    decide_form.categories.data = list(DATA_CATEGORIES)
    return render_and_commit("cases/access_requests.html", incoming=incoming, outgoing=outgoing,
                             form=decide_form, case_refs=_case_references(actor, incoming),
                             can_decide=role_can(actor.role, Permission.ACCESS_REQUEST_DECIDE),
                             category_labels=CATEGORY_LABELS)


@bp.post("/access-requests/<int:request_id>/decide")
@login_required
@require(Permission.ACCESS_REQUEST_DECIDE)
def decide_access(request_id: int) -> Response:
    actor = current_actor()
    req = access_requests.get_access_request_for(actor, request_id)
    if req.owner_agency_id != actor.agency_id:
        raise NotVisible("access_request", request_id)
    form = DecideAccessForm()
    form.categories.choices = [(c, c) for c in DATA_CATEGORIES]
    if form.validate_on_submit():
        run_or_flash(lambda: access_requests.decide_access_request(
            actor, request_id, grant=form.decision.data == "grant",
            categories=tuple(form.categories.data or ()), note=form.note.data or ""),
            message=_("Answer saved."))
    else:
        flash(_("Choose grant or refuse."), "error")
    return redirect(url_for("cases.access_request_list"))
