"""Case pages: find, open, read and work on a case. Thin: form → one service call → commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, require, role_can
from referral.access.scope import current_actor
from referral.agencies import pickers
from referral.agencies import service as agencies
from referral.cases import access_requests, incidents, measures, notes, people, risk
from referral.cases import service as cases
from referral.cases.forms import (
    AccessRequestForm,
    CaseForm,
    DecideAccessForm,
    NoteForm,
    PersonForm,
    RestrictionForm,
    SafeContactForm,
    SearchForm,
    StatusForm,
)
from referral.cases.iin import normalise_iin
from referral.cases.models import (
    CASE_STATUS_LABELS,
    PARTICIPANT_ROLE_LABELS,
    RELATIONSHIP_LABELS,
    RISK_LEVEL_LABELS,
    SEX_LABELS,
    CaseParticipant,
    CaseStatus,
    ParticipantRole,
)
from referral.cases.scope import DATA_CATEGORIES, visible_categories
from referral.cases.timeline import describe
from referral.errors import DomainError, StaleEdit
from referral.extensions import db
from referral.web.forms import attach_error
from referral.web.input import usable_date
from referral.web.nav import add_nav
from referral.web.transaction import run_action

bp = Blueprint("cases", __name__, url_prefix="/cases")
add_nav("cases.index", _l("Cases"), Permission.CASE_READ, 10)
add_nav("cases.access_request_list", _l("Access requests"), Permission.ACCESS_REQUEST_DECIDE, 15)
add_nav("cases.offences", _l("Offences"), Permission.REFERENCE_DATA_MANAGE, 86)

CATEGORY_LABELS = {
    "identity_contact": _l("Identity and contact details"),
    "incident_details": _l("Incidents and protective measures"),
    "risk_assessment": _l("Risk assessments"),
    "children": _l("Children"),
}


def render_and_commit(template: str, **context: Any) -> str:
    """Commit the audit rows of the reads and render.

    GET pages commit first: their loaded rows do not expire (referral.web.hooks), and the audit
    chain's lock is released before rendering instead of after, so concurrent case pages do not
    queue on it for the rendering time (docs/performance.md). Other requests render first, which
    keeps the loaded rows from expiring and being fetched again one by one.
    """
    if request.method in ("GET", "HEAD"):
        db.session.commit()
        return render_template(template, **context)
    html = render_template(template, **context)
    db.session.commit()
    return html


@bp.app_context_processor
def _case_helpers() -> dict[str, Any]:
    def case_safe_contacts(case: Any) -> list[CaseParticipant]:
        return people.safe_contacts_for_case(current_actor(), case.id)

    def case_status_label(code: str) -> str:
        return str(CASE_STATUS_LABELS.get(code, code))  # type: ignore[call-overload]

    def risk_level_label(code: str) -> str:
        return str(RISK_LEVEL_LABELS.get(code, code))  # type: ignore[call-overload]

    return {"case_safe_contacts": case_safe_contacts, "case_status_label": case_status_label,
            "risk_level_label": risk_level_label, "closed_reasons": cases.CLOSED_REASONS}


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _aware(local: datetime) -> datetime:
    zone = ZoneInfo(current_app.config.get("DISPLAY_TIMEZONE", "Asia/Almaty"))
    return local.replace(tzinfo=zone) if local.tzinfo is None else local


def _do(action: Any, form: Any) -> Any:
    """Run a service action at the boundary; on a refusal keep the form and show why."""
    try:
        return run_action(action)
    except DomainError as err:
        attach_error(form, err)
        return None


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


def _filter_regions(actor: Any, filters: Any) -> list[str]:
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


def _case_input(form: CaseForm) -> cases.CaseInput:
    return cases.CaseInput(region_code=form.region_code.data or "",
                           district_id=form.district_id.data, address=form.address.data or "",
                           languages=tuple(form.languages.data or ()))


@bp.route("/new", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_CREATE)
def new() -> str | Response:
    actor = current_actor()
    form = CaseForm()
    _fill_case_form(form)
    if not form.is_submitted():
        form.creation_token.data = cases.new_creation_token()
        agency = agencies.get_agency(actor.agency_id) if actor.agency_id else None
        form.region_code.data = agency.region_code if agency else ""
        form.district_id.data = agency.district_id if agency else None
    if form.validate_on_submit():
        token = form.creation_token.data or cases.new_creation_token()
        case = _do(lambda: cases.open_case(actor, _case_input(form), creation_token=token), form)
        if case is None and cases.find_case_by_token(actor, token) is not None:
            case = cases.find_case_by_token(actor, token)  # the first of a double submission
        if case is not None:
            flash(_("Case %(ref)s opened. Now add the people in the household.",
                    ref=case.reference), "success")
            return redirect(url_for("cases.detail", case_id=case.id))
    return render_and_commit("cases/case_form.html", form=form, case=None)


# --- one case ------------------------------------------------------------------------------------


@bp.get("/<int:case_id>")
@login_required
@require(Permission.CASE_READ)
def detail(case_id: int) -> str:
    actor = current_actor()
    case, participants = cases.open_case_page(actor, case_id)
    categories = visible_categories(actor, case)
    context: dict[str, Any] = {"case": case, "categories": categories,
                               "participants": participants}
    # The heading's safe-contact box: the survivors already read, with their safe contact.
    context["survivors"] = [p for p in context["participants"]
                            if p.role == ParticipantRole.SURVIVOR]
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
    context["referrals"] = _case_referrals(actor, case.id)
    context["notes"] = notes.list_notes(actor, case)
    context["timeline"] = [(e, describe(e)) for e in cases.list_timeline(actor, case)]
    status_form = StatusForm()
    _fill_status(status_form, case)
    return render_and_commit(
        "cases/detail.html", **context, owner=cases.is_owner(actor, case),
        can=lambda category=None: cases.can_contribute(actor, case, category),
        note_form=NoteForm(), status_form=status_form, status_labels=CASE_STATUS_LABELS,
        risk_labels=RISK_LEVEL_LABELS, relationship_labels=RELATIONSHIP_LABELS,
        sex_labels=SEX_LABELS, category_labels=CATEGORY_LABELS, all_categories=DATA_CATEGORIES,
        gbv_types=incidents.GBV_TYPES, reported_by=incidents.REPORTED_BY,
        gbv_contexts=incidents.CONTEXTS, offence_kinds=incidents.OFFENCE_KINDS,
        weapons=incidents.WEAPONS, measure_types=measures.measure_types(),
        languages=cases.LANGUAGES, today=cases.local_today())


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
    current = None
    if not form.is_submitted():
        form.version.data = str(case.version)
        form.languages.data = [c for c in case.languages.split(",") if c]
    if form.validate_on_submit():
        version = int(form.version.data or 0)
        try:
            run_action(lambda: cases.update_case(actor, case_id, _case_input(form),
                                                       expected_version=version))
        except StaleEdit as err:
            attach_error(form, err)
            current = cases.writable_case(actor, case_id)
            form.version.data = str(current.version)
        except DomainError as err:
            attach_error(form, err)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("cases.detail", case_id=case_id))
    return render_and_commit("cases/case_form.html", form=form, case=case, current=current,
                           languages=cases.LANGUAGES)


@bp.post("/<int:case_id>/status")
@login_required
@require(Permission.CASE_WRITE)
def change_status(case_id: int) -> Response:
    actor = current_actor()
    case = cases.writable_case(actor, case_id)
    form = StatusForm()
    _fill_status(form, case)
    if form.validate_on_submit():
        try:
            run_action(lambda: cases.change_status(
                actor, case_id, status=form.status.data, reason=form.reason.data or None,
                expected_version=int(form.version.data or 0) or None))
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(_("Status changed."), "success")
    return redirect(url_for("cases.detail", case_id=case_id))


@bp.route("/<int:case_id>/restriction", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def restriction(case_id: int) -> str | Response:
    actor = current_actor()
    case = cases.writable_case(actor, case_id)
    form = RestrictionForm()
    candidates = cases.restriction_candidates(actor, case)
    form.members.choices = [(u.id, f"{u.full_name} · {u.agency.name}") for u in candidates
                            if u.id != actor.user_id]
    if not form.is_submitted():
        form.restricted.data = case.restricted
        form.members.data = cases.case_member_ids(case.id)
        form.version.data = str(case.version)
    if form.validate_on_submit():
        allowed = {u.id for u in candidates}
        chosen = [i for i in (form.members.data or []) if i in allowed]
        done = _do(lambda: cases.set_restriction(
            actor, case_id, restricted=bool(form.restricted.data), member_ids=chosen,
            expected_version=int(form.version.data or 0) or None), form)
        if done is not None:
            flash(_("Access to the case saved."), "success")
            return redirect(url_for("cases.detail", case_id=case_id))
    return render_and_commit("cases/restriction.html", form=form, case=case)


# --- people --------------------------------------------------------------------------------------


def _fill_person_form(form: PersonForm) -> None:
    form.role.choices = [(r.value, str(PARTICIPANT_ROLE_LABELS[r])) for r in ParticipantRole]
    form.sex.choices = [("", "—")] + [(k, str(v)) for k, v in SEX_LABELS.items()]
    form.relationship_to_offender.choices = [("", "—")] + [
        (k, str(v)) for k, v in RELATIONSHIP_LABELS.items()]


def _person_input(form: PersonForm | AccessRequestForm) -> people.PersonInput:
    birth = form.birth_date.data
    if isinstance(birth, str):  # the access request form carries it as text
        try:
            birth = datetime.strptime(birth, "%Y-%m-%d").date() if birth else None
        except ValueError:
            birth = None

    def text(name: str) -> str:
        field = getattr(form, name, None)
        return (field.data or "") if field is not None else ""

    approx = getattr(form, "approx_age", None)
    return people.PersonInput(
        surname=text("surname"), given_name=text("given_name"), patronymic=text("patronymic"),
        sex=text("sex") or None, birth_date=birth, approx_age=approx.data if approx else None,
        iin=text("iin").strip())


def _participant_input(form: PersonForm) -> people.ParticipantInput:
    return people.ParticipantInput(
        role=form.role.data, relationship_to_offender=form.relationship_to_offender.data or None,
        phone=form.phone.data or "", has_disability=bool(form.has_disability.data),
        disability_note=form.disability_note.data or "", is_pregnant=bool(form.is_pregnant.data),
        note=form.note.data or "")


@bp.route("/<int:case_id>/people/new", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def add_person(case_id: int) -> str | Response:
    actor = current_actor()
    case = cases.writable_case(actor, case_id)
    form = PersonForm()
    _fill_person_form(form)
    if not form.is_submitted() and request.args.get("role") in {r.value for r in
                                                                 ParticipantRole}:
        form.role.data = request.args["role"]
    report = None
    if form.validate_on_submit():
        existing = request.form.get("use_person", type=int)
        confirmed = request.form.get("confirm_new") == "1"
        result = _do(lambda: people.add_participant(
            actor, case_id, _person_input(form), _participant_input(form),
            existing_person_id=existing, confirmed_new=confirmed), form)
        if isinstance(result, CaseParticipant):
            flash(_("Person added to the case."), "success")
            return redirect(url_for("cases.detail", case_id=case_id) + "#people")
        if isinstance(result, people.DuplicateReport):
            report = result
    access_form = AccessRequestForm(formdata=None)
    return render_and_commit("cases/person_form.html", form=form, case=case, report=report,
                           access_form=access_form, participant=None,
                           access_iin=normalise_iin(form.iin.data))


@bp.route("/people/<int:participant_id>/edit", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def edit_person(participant_id: int) -> str | Response:
    actor = current_actor()
    participant = cases.get_participant(actor, participant_id)
    case = cases.writable_case(actor, participant.case_id)
    person = participant.person
    form = PersonForm() if request.method == "POST" else PersonForm(obj=participant)
    _fill_person_form(form)
    current = None
    if not form.is_submitted():
        for name in ("surname", "given_name", "patronymic", "sex", "birth_date", "iin"):
            getattr(form, name).data = getattr(person, name)
        form.version.data = str(participant.version)
    if form.validate_on_submit():
        version = int(form.version.data or 0)
        try:
            run_action(lambda: people.update_participant(
                actor, participant_id, _person_input(form), _participant_input(form),
                expected_version=version))
        except StaleEdit as err:
            attach_error(form, err)
            current = cases.get_participant(actor, participant_id)
            form.version.data = str(current.version)
        except DomainError as err:
            attach_error(form, err)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("cases.detail", case_id=case.id) + "#people")
    return render_and_commit("cases/person_form.html", form=form, case=case, report=None,
                           participant=participant, current=current,
                           relationship_labels=RELATIONSHIP_LABELS)


@bp.route("/people/<int:participant_id>/safe-contact", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def safe_contact(participant_id: int) -> str | Response:
    actor = current_actor()
    participant = cases.get_participant(actor, participant_id)
    case = cases.writable_case(actor, participant.case_id, "identity_contact")
    contact = participant.safe_contact
    form = SafeContactForm() if request.method == "POST" else SafeContactForm(obj=contact)
    if not form.is_submitted():
        form.version.data = str(contact.version) if contact else ""
    if form.validate_on_submit():
        data = people.SafeContactInput(
            safe_phone=form.safe_phone.data or "", safe_times=form.safe_times.data or "",
            do_not_contact=bool(form.do_not_contact.data), code_word=form.code_word.data or "",
            instructions=form.instructions.data or "")
        version = int(form.version.data) if (form.version.data or "").isdigit() else None
        if _do(lambda: people.save_safe_contact(actor, participant_id, data,
                                                expected_version=version), form) is not None:
            flash(_("Safe contact saved."), "success")
            return redirect(url_for("cases.detail", case_id=case.id) + "#people")
    return render_and_commit("cases/simple_form.html", form=form, case=case,
                           title=_("Safe contact for %(name)s",
                                   name=participant.person.full_name))


# --- access requests -----------------------------------------------------------------------------


@bp.post("/<int:case_id>/access-requests")
@login_required
@require(Permission.CASE_WRITE)
def request_access(case_id: int) -> str | Response:
    actor = current_actor()
    cases.writable_case(actor, case_id)
    form = AccessRequestForm()
    if form.validate_on_submit() and (form.agency_id.data or "").isdigit():
        try:
            run_action(lambda: access_requests.request_access(
                actor, from_case_id=case_id, agency_id=int(form.agency_id.data),
                person=_person_input(form), reason=form.reason.data or ""))
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(_("Your request was sent. You will be told the answer."), "success")
    else:
        flash(_("Say why your agency needs access."), "error")
    return redirect(url_for("cases.detail", case_id=case_id))


@bp.get("/access-requests")
@login_required
@require(Permission.CASE_READ)
def access_request_list() -> str:
    actor = current_actor()
    incoming, outgoing = access_requests.list_access_requests(actor)
    decide_form = DecideAccessForm()
    decide_form.categories.choices = [(c, str(CATEGORY_LABELS[c])) for c in DATA_CATEGORIES]
    decide_form.categories.data = list(DATA_CATEGORIES)
    case_refs = {}
    for req in incoming:
        try:
            case_refs[req.id] = cases.writable_case(actor, req.case_id).reference
        except Exception:  # noqa: BLE001 - a restricted case the manager is not named on
            case_refs[req.id] = None
    return render_and_commit("cases/access_requests.html", incoming=incoming, outgoing=outgoing,
                           form=decide_form, case_refs=case_refs,
                           can_decide=role_can(actor.role, Permission.ACCESS_REQUEST_DECIDE),
                           category_labels=CATEGORY_LABELS)


@bp.post("/access-requests/<int:request_id>/decide")
@login_required
@require(Permission.ACCESS_REQUEST_DECIDE)
def decide_access(request_id: int) -> Response:
    actor = current_actor()
    req = access_requests.get_access_request_for(actor, request_id)
    if req.owner_agency_id != actor.agency_id:
        from referral.errors import NotVisible

        raise NotVisible("access_request", request_id)
    form = DecideAccessForm()
    form.categories.choices = [(c, c) for c in DATA_CATEGORIES]
    if form.validate_on_submit():
        try:
            run_action(lambda: access_requests.decide_access_request(
                actor, request_id, grant=form.decision.data == "grant",
                categories=tuple(form.categories.data or ()), note=form.note.data or ""))
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(_("Answer saved."), "success")
    else:
        flash(_("Choose grant or refuse."), "error")
    return redirect(url_for("cases.access_request_list"))


# --- incidents, risk, measures, notes: see views_work.py -----------------------------------------

# Register the remaining routes on bp: work on a case, and emergency (break-the-glass) access.
from referral.cases import views_emergency, views_work  # noqa: E402,F401


def _case_referrals(actor: Any, case_id: int) -> list[Any]:
    """The case's referrals, for its page (imported late: referrals build on cases)."""
    from referral.referrals.queries import list_case_referrals_for

    return list_case_referrals_for(actor, case_id)
