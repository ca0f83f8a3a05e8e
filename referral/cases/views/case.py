"""The case itself: find, open, read, change its place, status and who may see it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import flash, redirect, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, require, role_can
from referral.access.scope import Actor, current_actor
from referral.agencies import pickers
from referral.agencies import service as agencies
from referral.cases import hooks, incidents, measures, notes, people, risk
from referral.cases import service as cases
from referral.cases.forms import CaseForm, NoteForm, RestrictionForm, SearchForm, StatusForm
from referral.cases.models import (
    CASE_STATUS_LABELS,
    RISK_LEVEL_LABELS,
    CaseStatus,
    ParticipantRole,
)
from referral.cases.scope import visible_categories
from referral.cases.timeline import describe
from referral.cases.views.blueprint import bp
from referral.cases.views.helpers import (
    CASE_PAGE_LABELS,
    Reloaded,
    case_url,
    render_and_commit,
    version_of,
)
from referral.web.input import usable_date
from referral.web.submit import run_or_flash, submit_form

# --- list, search, open --------------------------------------------------------------------------


def _filters() -> cases.CaseFilters:
    args = request.args

    def day(name: str) -> Any:
        try:
            # Years 1900-2199 only: year 1 or 9999 overflows when made a UTC bound.
            return usable_date(datetime.strptime(args.get(name, ""), "%Y-%m-%d").date())
        except ValueError:
            return None

    def num(name: str) -> int | None:
        # type=int keeps to the database's range (referral.web.input): no overflow in the query.
        number: int | None = args.get(name, type=int)
        return number

    return cases.CaseFilters(
        status=args.get("status", ""), risk=args.get("risk", ""), region=args.get("region", ""),
        district_id=num("district"), agency_id=num("agency"), repeat=args.get("repeat") == "1",
        opened_from=day("from"), opened_to=day("to"), sort=args.get("sort", "newest"))


def _filter_regions(actor: Actor, filters: cases.CaseFilters) -> list[str]:
    """Districts and agencies offered as filters: those of the chosen region, else of the
    regions the user works in (a national list is 2,000 agencies nobody scrolls through)."""
    if filters.region:
        return [filters.region]
    if actor.region_ids:
        return sorted(actor.region_ids)
    agency = current_user.agency
    return [agency.region_code] if agency is not None else []


@bp.get("")
@login_required
@require(Permission.CASE_READ)
def index() -> str:
    actor = current_actor()
    filters = _filters()
    page = cases.list_cases_for(actor, filters, page=request.args.get("page", 1, type=int))
    args = {k: v for k, v in request.args.items() if k != "page"}
    near = _filter_regions(actor, filters)
    return render_and_commit(
        "cases/index.html", page=page, filters=filters, args=args, search_form=SearchForm(),
        regions=agencies.list_regions(), districts=agencies.list_districts(region_codes=near),
        # Grouped by region (agencies.pickers): the chosen region's, else the user's own.
        agency_picker=pickers.agency_picker(
            actor, show=pickers.ALL if filters.region else "", active_only=False,
            within=[filters.region] if filters.region else None, keep_id=filters.agency_id,
            with_district=False),
        status_labels=CASE_STATUS_LABELS,
        risk_labels=RISK_LEVEL_LABELS, can_create=role_can(actor.role, Permission.CASE_CREATE))


@bp.post("/search")
@login_required
@require(Permission.CASE_READ)
def search() -> str:
    form = SearchForm()
    hits = None
    if form.validate_on_submit():
        hits = people.search_cases(current_actor(), form.term.data)
    return render_and_commit("cases/search.html", form=form, hits=hits,
                             status_labels=CASE_STATUS_LABELS, risk_labels=RISK_LEVEL_LABELS)


def _fill_case_form(form: CaseForm) -> None:
    form.region_code.choices = [("", "—")] + [(r.code, r.name) for r in agencies.list_regions()]
    form.district_id.choices = [("", "—")] + [
        (d.id, f"{d.region.name} · {d.name}") for d in agencies.list_districts()]
    form.languages.choices = [(k, str(v)) for k, v in cases.LANGUAGES.items()]


def _new_case_defaults(actor: Actor, form: CaseForm) -> None:
    """A fresh form: a token against double submission, the place of the user's agency."""
    form.creation_token.data = cases.new_creation_token()
    agency = agencies.get_agency(actor.agency_id) if actor.agency_id else None
    form.region_code.data = agency.region_code if agency else ""
    form.district_id.data = agency.district_id if agency else None


def _case_input(form: CaseForm) -> cases.CaseInput:
    return cases.CaseInput(region_code=form.region_code.data or "",
                           district_id=form.district_id.data, address=form.address.data or "",
                           languages=tuple(form.languages.data or ()))


def _opened(case: Any) -> str:
    flash(_("Case %(ref)s opened. Now add the people in the household.",
            ref=case.reference), "success")
    return case_url(case.id)


@bp.route("/new", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_CREATE)
def new() -> str | Response:
    actor = current_actor()
    form = CaseForm()
    _fill_case_form(form)
    if not form.is_submitted():
        _new_case_defaults(actor, form)
    token = form.creation_token.data or cases.new_creation_token()
    done = submit_form(form, lambda: cases.open_case(actor, _case_input(form),
                                                     creation_token=token), done=_opened)
    if done is None and form.is_submitted():
        first = cases.find_case_by_token(actor, token)  # the first of a double submission
        done = redirect(_opened(first)) if first is not None else None
    return done or render_and_commit("cases/case_form.html", form=form, case=None)


# --- one case ------------------------------------------------------------------------------------


def _case_page(actor: Actor, case: Any, participants: list[Any]) -> dict[str, Any]:
    """What the case page shows of the categories the actor reads."""
    categories = visible_categories(actor, case)
    context: dict[str, Any] = {
        "case": case, "categories": categories, "participants": participants,
        # The heading's safe-contact box: the survivors already read, with their safe contact.
        "survivors": [p for p in participants if p.role == ParticipantRole.SURVIVOR]}
    if "incident_details" in categories:
        context["incidents"] = incidents.list_incidents(actor, case.id)
        context["callouts"] = incidents.police_callouts_12m(actor, case.id,
                                                            context["incidents"])
        context["measures"] = measures.list_measures(actor, case.id)
        context["in_force"] = measures.in_force(context["measures"], cases.local_today())
    if "risk_assessment" in categories:
        assessments = risk.list_assessments(actor, case.id)
        context["assessments"] = assessments
        context["trend"] = risk.trend(assessments)
        context["risk_reasons"] = risk.reasons(assessments[0]) if assessments else []
    context.update(hooks.case_page_parts(actor, case))  # e.g. the referrals section
    context["notes"] = notes.list_notes(actor, case)
    context["timeline"] = [(e, describe(e)) for e in cases.list_timeline(actor, case)]
    return context


@bp.get("/<int:case_id>")
@login_required
@require(Permission.CASE_READ)
def detail(case_id: int) -> str:
    actor = current_actor()
    case, participants = cases.open_case_page(actor, case_id, with_parts=True)
    context = _case_page(actor, case, participants)
    status_form = StatusForm()
    _fill_status(status_form, case)
    return render_and_commit(
        "cases/detail.html", **context, owner=cases.is_owner(actor, case),
        can=lambda category=None: cases.can_contribute(actor, case, category),
        note_form=NoteForm(), status_form=status_form, **CASE_PAGE_LABELS,
        measure_types=measures.measure_types(), today=cases.local_today())


def _fill_status(form: StatusForm, case: Any) -> None:
    allowed = cases.STATUS_TRANSITIONS[CaseStatus(case.status)]
    form.status.choices = [(s.value, str(CASE_STATUS_LABELS[s])) for s in CaseStatus
                           if s in allowed]
    form.reason.choices = [("", "—")] + [(k, str(v)) for k, v in cases.CLOSED_REASONS.items()]
    if not form.is_submitted():
        form.version.data = str(case.version)


@bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def edit(case_id: int) -> str | Response:
    actor = current_actor()
    case = cases.writable_case(actor, case_id)
    form = CaseForm() if request.method == "POST" else CaseForm(obj=case)
    _fill_case_form(form)
    if not form.is_submitted():
        form.version.data = str(case.version)
        form.languages.data = [c for c in case.languages.split(",") if c]
    stale = Reloaded(form, lambda: cases.writable_case(actor, case_id))
    done = submit_form(form, lambda: cases.update_case(
        actor, case_id, _case_input(form), expected_version=int(form.version.data or 0)),
        done=case_url(case_id), message=_("Changes saved."), on_stale=stale)
    return done or render_and_commit("cases/case_form.html", form=form, case=case,
                                     current=stale.current, languages=cases.LANGUAGES)


@bp.post("/<int:case_id>/status")
@login_required
@require(Permission.CASE_WRITE)
def change_status(case_id: int) -> Response:
    actor = current_actor()
    case = cases.writable_case(actor, case_id)
    form = StatusForm()
    _fill_status(form, case)
    if form.validate_on_submit():
        run_or_flash(lambda: cases.change_status(
            actor, case_id, status=form.status.data, reason=form.reason.data or None,
            expected_version=version_of(form)), message=_("Status changed."))
    return redirect(case_url(case_id))


def _fill_restriction(form: RestrictionForm, actor: Actor, case: Any,
                      candidates: list[Any]) -> None:
    form.members.choices = [(u.id, f"{u.full_name} · {u.agency.name}") for u in candidates
                            if u.id != actor.user_id]
    if not form.is_submitted():
        form.restricted.data = case.restricted
        form.members.data = cases.case_member_ids(case.id)
        form.version.data = str(case.version)


@bp.route("/<int:case_id>/restriction", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def restriction(case_id: int) -> str | Response:
    actor = current_actor()
    case = cases.writable_case(actor, case_id)
    form = RestrictionForm()
    candidates = cases.restriction_candidates(actor, case)
    _fill_restriction(form, actor, case, candidates)
    allowed = {u.id for u in candidates}
    done = submit_form(form, lambda: cases.set_restriction(
        actor, case_id, restricted=bool(form.restricted.data),
        member_ids=[i for i in (form.members.data or []) if i in allowed],
        expected_version=version_of(form)),
        done=case_url(case_id), message=_("Access to the case saved."))
    return done or render_and_commit("cases/restriction.html", form=form, case=case)
