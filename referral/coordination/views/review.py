"""The overdue review and its moves: reassign, extend, escalate, the one-button row actions, and
"add to the next case conference"."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, require
from referral.access.scope import current_actor
from referral.agencies import pickers
from referral.coordination import forms as f
from referral.coordination.service import conferences, review, review_actions
from referral.coordination.views.blueprint import bp
from referral.coordination.views.choices import fill_filters
from referral.extensions import db
from referral.referrals import service as referral_service
from referral.web.submit import run_or_flash, submit_form
from referral.web.templating import format_local_datetime

SECTION_TITLES = {
    review.OVERDUE: _l("Expired or past the deadline"),
    review.DUE_SOON: _l("About to expire"),
    review.HIGH_RISK: _l("High-risk cases with no accepted referral"),
    review.ON_HOLD: _l("On hold past the review date"),
    review.NO_PROGRESS: _l("Accepted, no progress recorded"),
    review.MEASURE_ENDING: _l("Protective measures ending, no follow-up"),
}


def _filters(form: f.FilterForm) -> review.Filters:
    return review.Filters(
        region_code=form.region.data or None, agency_id=form.agency.data,
        district_id=form.district.data, service=form.service.data or None,
        urgency=form.urgency.data or None)


@bp.get("/", endpoint="review")
@bp.get("/review", endpoint="review")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def review_page() -> str:
    form = f.FilterForm(request.args)
    fill_filters(form, current_actor())
    section = request.args.get("section")
    section = section if section in review.SECTIONS else None
    result = review.overdue_review(current_actor(), filters=_filters(form), section=section)
    districts = {value: label for value, label in form.district.choices if value}  # read above
    db.session.commit()
    kept = {key: value for key, value in request.args.items() if key != "section" and value}
    return render_template("coordination/review.html", form=form, review=result,
                           titles=SECTION_TITLES, districts=districts, kept=kept,
                           confirm=f.ConfirmForm(), section=section,
                           extend_labels=_extend_labels(),
                           sections=(section,) if section else review.SECTIONS)


def _extend_labels() -> dict[str, str]:
    """Each urgency's "extend" button, translated once for the page's rows rather than per row;
    an urgency without a deadline period gets the label without one."""
    labels = {urgency: _("Confirm: extend by %(period)s", period=period)
              for urgency, period in referral_service.deadline_labels().items()}
    return defaultdict(lambda: _("Confirm: extend by %(period)s", period=""), labels)


def _referral_page(referral_id: int, form: Any, kind: str, title: str) -> str:
    referral = referral_service.get_referral_for(current_actor(), referral_id)
    db.session.commit()
    return render_template("coordination/referral_action.html", referral=referral, form=form,
                           kind=kind, title=title)


def _receiver_choices(form: f.ReassignForm, referral_id: int) -> None:
    """Agencies offering the referral's service, grouped by region, the coordinator's
    first; other regions one choice away (agencies.pickers)."""
    referral = referral_service.load_referral(referral_id)
    form.picker = pickers.agency_picker(
        current_actor(), show=pickers.parse_show(request.args.get(pickers.PARAM)),
        service_code=referral.service_code, exclude_ids=[referral.receiver_agency_id],
        keep_id=form.receiver_agency_id.data)
    form.receiver_agency_id.choices = form.picker.choices()


@bp.route("/referrals/<int:referral_id>/reassign", methods=["GET", "POST"])
@login_required
@require(Permission.REFERRAL_COORDINATE)
def reassign(referral_id: int) -> str | Response:
    form = f.ReassignForm()
    _receiver_choices(form, referral_id)
    done = submit_form(form, lambda: referral_service.reassign_referral(
        current_actor(), referral_id=referral_id,
        receiver_agency_id=form.receiver_agency_id.data or 0, text=form.text.data or ""),
        done=url_for("coordination.review"),
        message=_("Referral reassigned. The new agency has it in its inbox."))
    return done or _referral_page(referral_id, form, "reassign", _("Reassign the referral"))


@bp.route("/referrals/<int:referral_id>/extend", methods=["GET", "POST"])
@login_required
@require(Permission.REFERRAL_COORDINATE)
def extend(referral_id: int) -> str | Response:
    form = f.ExtendForm()
    done = submit_form(form, lambda: referral_service.extend_deadline(
        current_actor(), referral_id=referral_id,
        deadline_at=f.local_to_utc(form.deadline_at.data), text=form.text.data or ""),
        done=url_for("coordination.review"), message=_("Deadline extended."))
    return done or _referral_page(referral_id, form, "extend", _("Extend the deadline"))


@bp.route("/referrals/<int:referral_id>/escalate", methods=["GET", "POST"])
@login_required
@require(Permission.REFERRAL_COORDINATE)
def escalate(referral_id: int) -> str | Response:
    form = f.EscalateForm()
    done = submit_form(form, lambda: referral_service.escalate_referral(
        current_actor(), referral_id=referral_id, text=form.text.data or ""),
        done=url_for("coordination.review"),
        message=_("Referral escalated to the agency's manager."))
    return done or _referral_page(referral_id, form, "escalate",
                                  _("Escalate to the agency's manager"))


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)  # type: ignore[union-attr]


def _back_to_review() -> Response:
    """Back to the review as it was filtered (the page the button was on)."""
    return redirect(request.referrer if _same_site(request.referrer)
                    else url_for("coordination.review"))


def _row_action(referral_id: int, call: Callable[..., Any], done: Callable[[Any], str]
                ) -> Response:
    """One confirmed POST from a row of the review: one transaction, a flash naming the
    result, and back to the review as it was filtered. Outside the coordinator's scope the
    service's NotVisible answers 404; an unconfirmed POST changes nothing."""
    referral_service.load_referral(referral_id)  # NotVisible: 404 before anything else
    form = f.RowActionForm()
    if not form.validate_on_submit() or form.confirm.data != "1":
        flash(_("The action was not confirmed. Nothing was changed."), "error")
        return _back_to_review()
    changed: list[Any] = []  # the referral as the action left it, for the flash
    if run_or_flash(lambda: changed.append(call(current_actor(), referral_id=referral_id,
                                                text=form.text.data or ""))):
        flash(done(changed[0]), "success")
    return _back_to_review()


@bp.post("/referrals/<int:referral_id>/extend-standard")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def row_extend(referral_id: int) -> Response:
    return _row_action(referral_id, review_actions.extend_by_standard_period,
                       lambda r: _("Referral %(ref)s: new deadline %(when)s.", ref=r.reference,
                                   when=format_local_datetime(r.deadline_at)))


@bp.post("/referrals/<int:referral_id>/escalate-now")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def row_escalate(referral_id: int) -> Response:
    return _row_action(referral_id, review_actions.escalate_now,
                       lambda r: _("Referral %(ref)s escalated to the agency's manager.",
                                   ref=r.reference))


@bp.post("/cases/<int:case_id>/next-conference")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def add_to_conference(case_id: int) -> Response:
    if f.ConfirmForm().validate_on_submit():
        run_or_flash(lambda: conferences.add_case_to_next_conference(
            current_actor(), case_id=case_id),
            message=_("Case added to the next case conference."))
    return _back_to_review()
