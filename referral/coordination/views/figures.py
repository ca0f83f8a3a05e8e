"""The figures pages: agency performance, coverage per district, the statistics export."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Response, render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from referral.access.permissions import Permission, require
from referral.access.scope import Actor, current_actor
from referral.coordination import forms as f
from referral.coordination.local_time import local_today
from referral.coordination.stats import coverage, export, numbers, performance
from referral.coordination.stats.coverage import Coverage
from referral.coordination.stats.performance import Performance
from referral.coordination.views import charts
from referral.coordination.views.blueprint import bp
from referral.coordination.views.choices import fill_filters, region_choices
from referral.extensions import db
from referral.models_base import utcnow


def _period(form: f.PeriodForm, granularity: str) -> tuple[date, date]:
    start, end = performance.default_range(local_today(utcnow()), granularity)
    return form.start.data or start, form.end.data or end


def _performance_charts(result: Performance) -> dict[str, charts.Chart]:
    labels = [p.label for p in result.trend]
    return {
        "volume": charts.bar_chart(_("Referrals received and accepted"), labels, [
            (_("Received"), [p.figures.received for p in result.trend]),
            (_("Accepted"), [p.figures.accepted for p in result.trend]),
        ]),
        "speed": charts.line_chart(_("Hours to accept (median and 90th percentile)"), labels, [
            (_("Median"), [p.figures.median_hours for p in result.trend]),
            (_("90th percentile"), [p.figures.p90_hours for p in result.trend]),
        ]),
    }


@bp.get("/performance", endpoint="performance")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def performance_page() -> str:
    form = f.PeriodForm(request.args)
    fill_filters(form, current_actor())
    granularity = form.granularity.data if form.granularity.data in numbers.GRANULARITIES \
        else numbers.MONTH
    start, end = _period(form, granularity)
    result = performance.agency_performance(
        current_actor(), start=start, end=end, granularity=granularity,
        region_code=form.region.data or None, agency_id=form.agency.data)
    drawn = _performance_charts(result)
    db.session.commit()
    return render_template("coordination/performance.html", form=form, perf=result,
                           start=start, end=end, **drawn)


def _coverage_chart(result: Coverage) -> charts.Chart:
    names = [d.name or _("District not recorded") for d in result.districts]
    return charts.bar_chart(_("Demand and services per district"), names, [
        (_("Cases"), [d.cases for d in result.districts]),
        (_("Referrals"), [d.referral_total for d in result.districts]),
        (_("Declined: no capacity or out of area"), [d.decline_total for d in result.districts]),
        (_("Service points"), [d.service_points for d in result.districts]),
    ])


@bp.get("/coverage", endpoint="coverage")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def coverage_page() -> str:
    form = f.PeriodForm(request.args)
    del form.agency  # coverage is per district: no agency filter to fill or show
    fill_filters(form, current_actor())
    today = local_today(utcnow())
    start, end = form.start.data or today - timedelta(days=365), form.end.data or today
    result = coverage.district_coverage(current_actor(), region_code=form.region.data or None,
                                        start=start, end=end)
    chart = _coverage_chart(result)
    db.session.commit()
    return render_template("coordination/coverage.html", form=form, cov=result, chart=chart,
                           start=start, end=end, service_types=coverage.SERVICE_TYPES)


@bp.route("/statistics", methods=["GET", "POST"])
@login_required
@require(Permission.REFERRAL_COORDINATE)
def statistics() -> str | Response:
    form = f.ExportForm()
    form.region.choices = [("", _("All my regions"))] + region_choices(current_actor())
    if not form.is_submitted():
        form.start.data, form.end.data = performance.default_range(
            local_today(utcnow()), numbers.MONTH)
    if form.validate_on_submit():
        if form.end.data < form.start.data:
            form.end.errors = [_("The end date must not be before the start date.")]
        else:
            return _export(current_actor(), form)
    return render_template("coordination/statistics.html", form=form,
                           threshold=numbers.SUPPRESSION_THRESHOLD)


def _export(actor: Actor, form: f.ExportForm) -> Response:
    fmt = form.fmt.data if form.fmt.data in export.FORMATS else "csv"
    rows = export.statistics_rows(actor, start=form.start.data, end=form.end.data,
                                  region_code=form.region.data or None,
                                  granularity=form.granularity.data, fmt=fmt)
    db.session.commit()  # the audit row is kept before a byte is sent
    name = f"statistics-{form.start.data.isoformat()}-{form.end.data.isoformat()}.{fmt}"
    if fmt == "xlsx":
        body: Any = export.stream_xlsx(rows)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = export.stream_csv(rows)
        mimetype = "text/csv; charset=utf-8"
    # The rows are computed already: the generator needs no request context while it streams.
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
