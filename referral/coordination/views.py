"""Coordinator pages: the overdue review and its row actions, performance, coverage, statistics.

Conference pages live in conference_views.py on the same Blueprint.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from referral.access.permissions import Permission, require
from referral.access.scope import Actor, current_actor
from referral.agencies import pickers
from referral.agencies.models import District, Region
from referral.agencies.services import SERVICES
from referral.coordination import (
    charts,
    coverage,
    exports,
    notify,  # noqa: F401 - registers notification kinds
    performance,
    review,
    review_actions,
    stats,
)
from referral.coordination import conferences as conference_service
from referral.coordination import forms as f
from referral.coordination.blueprint import bp
from referral.coordination.common import local_today
from referral.errors import DomainError
from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals import codes
from referral.referrals import service as referral_service
from referral.web.forms import attach_error
from referral.web.nav import add_nav
from referral.web.templating import format_local_datetime
from referral.web.transaction import run_action

add_nav("coordination.review", _l("Overdue review"), Permission.REFERRAL_COORDINATE, 10)
add_nav("coordination.conferences", _l("Case conferences"), Permission.REFERRAL_COORDINATE, 30)
add_nav("coordination.performance", _l("Agency performance"), Permission.REFERRAL_COORDINATE,
        31)
add_nav("coordination.coverage", _l("Coverage"), Permission.REFERRAL_COORDINATE, 32)
add_nav("coordination.statistics", _l("Statistics"), Permission.REFERRAL_COORDINATE, 33)
add_nav("coordination.actions", _l("Conference actions"), Permission.REFERRAL_RESPOND, 30)


def _regions(actor: Actor) -> list[Region]:
    return list(db.session.execute(select(Region).where(
        Region.code.in_(sorted(actor.region_ids))).order_by(Region.name_en)).scalars())


def _region_agencies(actor: Actor) -> list[Any]:
    """The agencies of the coordinator's regions for the filters, one ``<optgroup>`` per
    region (agencies.pickers): a hundred or more, in one query of id, name and region."""
    picker = pickers.agency_picker(actor, show=pickers.ALL, within=sorted(actor.region_ids),
                                   active_only=False, with_district=False)
    return picker.choices(blank=None)


def _fill_filters(form: Any, actor: Actor) -> None:
    blank = [("", _("All"))]
    if getattr(form, "region", None) is not None:
        form.region.choices = blank + [(r.code, r.name) for r in _regions(actor)]
    if getattr(form, "agency", None) is not None:
        form.agency.choices = blank + _region_agencies(actor)
    if getattr(form, "district", None) is not None:
        districts = db.session.execute(select(District).where(
            District.region_code.in_(sorted(actor.region_ids))).order_by(District.name_en))
        form.district.choices = blank + [(d.id, d.name) for d in districts.scalars()]
    if getattr(form, "service", None) is not None:
        form.service.choices = blank + [(k, str(v)) for k, v in SERVICES.items()]
    if getattr(form, "urgency", None) is not None:
        form.urgency.choices = blank + [(k, str(v)) for k, v in codes.URGENCIES.items()]


# --- overdue review ------------------------------------------------------------------------------


SECTION_TITLES = {
    review.OVERDUE: _l("Expired or past the deadline"),
    review.DUE_SOON: _l("About to expire"),
    review.HIGH_RISK: _l("High-risk cases with no accepted referral"),
    review.ON_HOLD: _l("On hold past the review date"),
    review.NO_PROGRESS: _l("Accepted, no progress recorded"),
    review.MEASURE_ENDING: _l("Protective measures ending, no follow-up"),
}


@bp.get("/", endpoint="review")
@bp.get("/review", endpoint="review")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def review_page() -> str:
    actor = current_actor()
    form = f.FilterForm(request.args)
    _fill_filters(form, actor)
    filters = review.Filters(
        region_code=form.region.data or None, agency_id=form.agency.data,
        district_id=form.district.data, service=form.service.data or None,
        urgency=form.urgency.data or None)
    section = request.args.get("section")
    section = section if section in review.SECTIONS else None
    result = review.overdue_review(actor, filters=filters, section=section)
    districts = {value: label for value, label in form.district.choices if value}  # read above
    db.session.commit()
    kept = {key: value for key, value in request.args.items() if key != "section" and value}
    return render_template("coordination/review.html", form=form, review=result,
                           titles=SECTION_TITLES, districts=districts, kept=kept,
                           confirm=f.ConfirmForm(), section=section,
                           periods=referral_service.deadline_labels(),
                           sections=(section,) if section else review.SECTIONS)


def _referral_page(referral_id: int, form: Any, kind: str, title: str) -> str:
    actor = current_actor()
    referral = referral_service.get_referral_for(actor, referral_id)
    db.session.commit()
    return render_template("coordination/referral_action.html", referral=referral, form=form,
                           kind=kind, title=title)


def _run(form: Any, call: Any, done: str) -> BaseResponse | None:
    if not form.validate_on_submit():
        return None
    try:
        run_action(call)
    except DomainError as err:
        db.session.rollback()
        attach_error(form, err)
        return None
    flash(done, "success")
    return redirect(url_for("coordination.review"))


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
def reassign(referral_id: int) -> str | BaseResponse:
    form = f.ReassignForm()
    _receiver_choices(form, referral_id)
    done = _run(form, lambda: referral_service.reassign_referral(
        current_actor(), referral_id=referral_id,
        receiver_agency_id=form.receiver_agency_id.data or 0, text=form.text.data or ""),
        _("Referral reassigned. The new agency has it in its inbox."))
    return done or _referral_page(referral_id, form, "reassign", _("Reassign the referral"))


@bp.route("/referrals/<int:referral_id>/extend", methods=["GET", "POST"])
@login_required
@require(Permission.REFERRAL_COORDINATE)
def extend(referral_id: int) -> str | BaseResponse:
    form = f.ExtendForm()
    done = _run(form, lambda: referral_service.extend_deadline(
        current_actor(), referral_id=referral_id,
        deadline_at=f.local_to_utc(form.deadline_at.data), text=form.text.data or ""),
        _("Deadline extended."))
    return done or _referral_page(referral_id, form, "extend", _("Extend the deadline"))


@bp.route("/referrals/<int:referral_id>/escalate", methods=["GET", "POST"])
@login_required
@require(Permission.REFERRAL_COORDINATE)
def escalate(referral_id: int) -> str | BaseResponse:
    form = f.EscalateForm()
    done = _run(form, lambda: referral_service.escalate_referral(
        current_actor(), referral_id=referral_id, text=form.text.data or ""),
        _("Referral escalated to the agency's manager."))
    return done or _referral_page(referral_id, form, "escalate",
                                  _("Escalate to the agency's manager"))


def _row_action(referral_id: int, call: Any, done: Any) -> BaseResponse:
    """One confirmed POST from a row of the review: one transaction, a flash naming the
    result, and back to the review as it was filtered. Outside the coordinator's scope the
    service's NotVisible answers 404; an unconfirmed POST changes nothing."""
    referral_service.load_referral(referral_id)  # NotVisible: 404 before anything else
    form = f.RowActionForm()
    if not form.validate_on_submit() or form.confirm.data != "1":
        flash(_("The action was not confirmed. Nothing was changed."), "error")
    else:
        try:
            referral = run_action(lambda: call(current_actor(), referral_id=referral_id,
                                               text=form.text.data or ""))
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "error")
        else:
            flash(done(referral), "success")
    back = request.referrer if _same_site(request.referrer) else url_for("coordination.review")
    return redirect(back)


@bp.post("/referrals/<int:referral_id>/extend-standard")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def row_extend(referral_id: int) -> BaseResponse:
    return _row_action(referral_id, review_actions.extend_by_standard_period,
                       lambda r: _("Referral %(ref)s: new deadline %(when)s.", ref=r.reference,
                                   when=format_local_datetime(r.deadline_at)))


@bp.post("/referrals/<int:referral_id>/escalate-now")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def row_escalate(referral_id: int) -> BaseResponse:
    return _row_action(referral_id, review_actions.escalate_now,
                       lambda r: _("Referral %(ref)s escalated to the agency's manager.",
                                   ref=r.reference))


@bp.post("/cases/<int:case_id>/next-conference")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def add_to_conference(case_id: int) -> BaseResponse:
    form = f.ConfirmForm()
    if form.validate_on_submit():
        try:
            run_action(lambda: conference_service.add_case_to_next_conference(
                current_actor(), case_id=case_id))
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "error")
        else:
            flash(_("Case added to the next case conference."), "success")
    return redirect(request.referrer if _same_site(request.referrer)
                    else url_for("coordination.review"))


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)  # type: ignore[union-attr]


# --- performance, coverage, statistics -----------------------------------------------------------


def _period(form: f.PeriodForm, granularity: str) -> tuple[date, date]:
    today = local_today(utcnow())
    start, end = performance.default_range(today, granularity)
    return form.start.data or start, form.end.data or end


@bp.get("/performance", endpoint="performance")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def performance_page() -> str:
    actor = current_actor()
    form = f.PeriodForm(request.args)
    _fill_filters(form, actor)
    granularity = form.granularity.data if form.granularity.data in stats.GRANULARITIES \
        else stats.MONTH
    start, end = _period(form, granularity)
    result = performance.agency_performance(actor, start=start, end=end,
                                            granularity=granularity,
                                            region_code=form.region.data or None,
                                            agency_id=form.agency.data)
    labels = [p.label for p in result.trend]
    volume = charts.bar_chart(_("Referrals received and accepted"), labels, [
        (_("Received"), [p.figures.received for p in result.trend]),
        (_("Accepted"), [p.figures.accepted for p in result.trend]),
    ])
    speed = charts.line_chart(_("Hours to accept (median and 90th percentile)"), labels, [
        (_("Median"), [p.figures.median_hours for p in result.trend]),
        (_("90th percentile"), [p.figures.p90_hours for p in result.trend]),
    ])
    db.session.commit()
    return render_template("coordination/performance.html", form=form, perf=result,
                           volume=volume, speed=speed, start=start, end=end)


@bp.get("/coverage", endpoint="coverage")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def coverage_page() -> str:
    actor = current_actor()
    form = f.PeriodForm(request.args)
    del form.agency  # coverage is per district: no agency filter to fill or show
    _fill_filters(form, actor)
    today = local_today(utcnow())
    start, end = form.start.data or today - timedelta(days=365), form.end.data or today
    result = coverage.district_coverage(actor, region_code=form.region.data or None,
                                        start=start, end=end)
    names = [d.name or _("District not recorded") for d in result.districts]
    chart = charts.bar_chart(_("Demand and services per district"), names, [
        (_("Cases"), [d.cases for d in result.districts]),
        (_("Referrals"), [d.referral_total for d in result.districts]),
        (_("Declined: no capacity or out of area"), [d.decline_total for d in result.districts]),
        (_("Service points"), [d.service_points for d in result.districts]),
    ])
    db.session.commit()
    return render_template("coordination/coverage.html", form=form, cov=result, chart=chart,
                           start=start, end=end, service_types=coverage.SERVICE_TYPES)


@bp.route("/statistics", methods=["GET", "POST"])
@login_required
@require(Permission.REFERRAL_COORDINATE)
def statistics() -> str | Response:
    actor = current_actor()
    form = f.ExportForm()
    form.region.choices = [("", _("All my regions"))] + [(r.code, r.name)
                                                        for r in _regions(actor)]
    if not form.is_submitted():
        form.start.data, form.end.data = performance.default_range(
            local_today(utcnow()), stats.MONTH)
    if form.validate_on_submit():
        if form.end.data < form.start.data:
            form.end.errors = [_("The end date must not be before the start date.")]
        else:
            return _export(actor, form)
    return render_template("coordination/statistics.html", form=form,
                           threshold=stats.SUPPRESSION_THRESHOLD)


def _export(actor: Actor, form: f.ExportForm) -> Response:
    fmt = form.fmt.data if form.fmt.data in exports.FORMATS else "csv"
    rows = exports.statistics_rows(actor, start=form.start.data, end=form.end.data,
                                   region_code=form.region.data or None,
                                   granularity=form.granularity.data, fmt=fmt)
    db.session.commit()  # the audit row is kept before a byte is sent
    name = f"statistics-{form.start.data.isoformat()}-{form.end.data.isoformat()}.{fmt}"
    if fmt == "xlsx":
        body: Any = exports.stream_xlsx(rows)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = exports.stream_csv(rows)
        mimetype = "text/csv; charset=utf-8"
    # The rows are computed already: the generator needs no request context while it streams.
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


from referral.coordination import conference_views  # noqa: E402,F401 - routes on the same bp
