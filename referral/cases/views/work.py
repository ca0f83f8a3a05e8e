"""The day's work on a case: incidents, risk assessments, protective measures, notes."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, require
from referral.access.scope import Actor, current_actor
from referral.cases import incidents, measures, notes, risk
from referral.cases import offences as offence_table
from referral.cases import service as cases
from referral.cases.forms import (
    BreachForm,
    IncidentForm,
    MeasureForm,
    NoteForm,
    RevokeForm,
    RiskForm,
)
from referral.cases.models import RISK_LEVEL_LABELS, ParticipantRole, RiskLevel
from referral.cases.views.blueprint import bp
from referral.cases.views.helpers import (
    Reloaded,
    _do,
    aware,
    case_url,
    people_choices,
    render_and_commit,
    version_of,
)
from referral.cases.views.offences import offence_choices, offence_value
from referral.web.submit import submit_form

# --- incidents -----------------------------------------------------------------------------------


def _fill_incident_form(actor: Actor, case_id: int, form: IncidentForm) -> None:
    form.reported_by.choices = [(k, str(v)) for k, v in incidents.REPORTED_BY.items()]
    form.weapon.choices = [(k, str(v)) for k, v in incidents.WEAPONS.items()]
    form.offence_id.choices = offence_choices()
    form.survivor_participant_id.choices = people_choices(actor, case_id,
                                                          ParticipantRole.SURVIVOR)
    form.offender_participant_id.choices = people_choices(actor, case_id,
                                                          ParticipantRole.ALLEGED_OFFENDER)


def _incident_input(form: IncidentForm) -> incidents.IncidentInput:
    flags = ("physical", "sexual", "psychological", "economic", "penetration",
             "forced_marriage", "children_present", "children_witnessed",
             "female_investigator_requested", "non_gbv")
    texts = ("place", "injuries", "police_record_number", "description")
    offence_id, offence_part = offence_value(form.offence_id.data)
    return incidents.IncidentInput(
        occurred_at=aware(form.occurred_at.data), reported_by=form.reported_by.data,
        weapon=form.weapon.data, offence_id=offence_id, offence_part=offence_part,
        survivor_participant_id=form.survivor_participant_id.data,
        offender_participant_id=form.offender_participant_id.data,
        contexts=frozenset(code for code in incidents.CONTEXTS
                           if getattr(form, f"context_{code}").data),
        **{name: bool(getattr(form, name).data) for name in flags},
        **{name: getattr(form, name).data or "" for name in texts})


def _shown_token(result: incidents.Classification) -> str:
    """What the page showed, as codes only (no personal data): type, context, offence."""
    offence = f"{result.offence.id}:{result.offence_part}" if result.offence else ""
    return f"{result.gbv_type}|{','.join(sorted(result.contexts))}|{offence}"


def _save_incident(actor: Actor, case_id: int, form: IncidentForm,
                   data: incidents.IncidentInput, shown: str) -> Response | None:
    """Saved only once the page has shown this very classification (no JS needed)."""
    if form.shown.data != shown:
        flash(_("Check the classification below, then save the incident."), "info")
        return None
    incident = _do(lambda: incidents.record_incident(actor, case_id, data), form)
    if incident is None:
        return None
    if incident.is_repeat:
        flash(_("This is a repeat incident: the same person was involved in another incident "
                "within 12 months. The case is marked repeat."), "warning")
    flash(_("Incident recorded."), "success")
    return redirect(case_url(case_id, "incidents"))


@bp.route("/<int:case_id>/incidents/new", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def new_incident(case_id: int) -> str | Response:
    actor = current_actor()
    case = cases.writable_case(actor, case_id, "incident_details")
    form = IncidentForm()
    _fill_incident_form(actor, case.id, form)
    result = None
    if form.validate_on_submit():
        data = _incident_input(form)
        result = _do(lambda: incidents.classify_incident(actor, case_id, data), form)
        if result is not None and "save" in request.form:
            saved = _save_incident(actor, case_id, form, data, _shown_token(result))
            if saved is not None:
                return saved
        if result is not None:
            form.shown.data = _shown_token(result)
    return render_and_commit("cases/incident_form.html", form=form, case=case,
                             classification=result, offence_label=offence_table.offence_label)


# --- risk ----------------------------------------------------------------------------------------


def _fill_risk_form(actor: Actor, case_id: int, form: RiskForm) -> None:
    form.survivor_participant_id.choices = people_choices(actor, case_id,
                                                          ParticipantRole.SURVIVOR)
    form.override_level.choices = [("", _("No change"))] + [
        (level.value, str(RISK_LEVEL_LABELS[level])) for level in (RiskLevel.MEDIUM,
                                                                    RiskLevel.HIGH)]


def _assess(actor: Actor, case_id: int, form: RiskForm) -> Any:
    answers = {code: risk.Answer(getattr(form, f"q_{code}").data,
                                 getattr(form, f"c_{code}").data or "")
               for code in risk.FACTOR_CODES}
    return risk.record_assessment(
        actor, case_id, answers, override_level=form.override_level.data or None,
        override_reason=form.override_reason.data or "",
        survivor_participant_id=form.survivor_participant_id.data)


def _assessed(assessment: Any) -> str:
    flash(_("Risk assessment saved: %(level)s (%(score)d of %(total)d yes).",
            level=RISK_LEVEL_LABELS[RiskLevel(assessment.level)],
            score=assessment.score, total=len(risk.FACTOR_CODES)), "success")
    if assessment.level == RiskLevel.HIGH:
        flash(_("High risk: the case is on the coordinator's review now and will be "
                "proposed for the region's next case conference."), "warning")
    return case_url(assessment.case_id, "risk")


@bp.route("/<int:case_id>/risk/new", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def new_assessment(case_id: int) -> str | Response:
    actor = current_actor()
    case = cases.writable_case(actor, case_id, "risk_assessment")
    form = RiskForm()
    _fill_risk_form(actor, case.id, form)
    done = submit_form(form, lambda: _assess(actor, case_id, form), done=_assessed)
    return done or render_and_commit(
        "cases/risk_form.html", form=form, case=case, items=risk.current().items,
        limits=risk.current_thresholds(), group_labels=risk.GROUP_LABELS)


@bp.get("/risk/<int:assessment_id>")
@login_required
@require(Permission.CASE_READ)
def assessment(assessment_id: int) -> str:
    actor = current_actor()
    found = risk.get_assessment_for(actor, assessment_id)
    case = cases.get_case_for(actor, found.case_id)
    return render_and_commit("cases/risk_detail.html", assessment=found, case=case,
                             questions=risk.questions_of(found), answers=risk.ANSWERS,
                             reasons=risk.reasons(found), group_labels=risk.GROUP_LABELS,
                             risk_labels=RISK_LEVEL_LABELS)


# --- protective measures -------------------------------------------------------------------------


def _measure_input(form: MeasureForm) -> measures.MeasureInput:
    return measures.MeasureInput(
        measure_type=form.measure_type.data, starts_on=form.starts_on.data,
        ends_on=form.ends_on.data, against_participant_id=form.against_participant_id.data,
        issuing_body=form.issuing_body.data or "",
        document_number=form.document_number.data or "", conditions=form.conditions.data or "")


def _measure_recorded(measure: Any) -> str:
    flash(_("Measure recorded: in force until %(day)s.", day=measure.ends_on.isoformat()),
          "success")
    return case_url(measure.case_id, "measures")


@bp.route("/<int:case_id>/measures/new", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def new_measure(case_id: int) -> str | Response:
    actor = current_actor()
    case = cases.writable_case(actor, case_id, "incident_details")
    kinds = measures.measure_types()
    form = MeasureForm()
    form.measure_type.choices = [(k.code, k.title) for k in kinds.values()]
    form.against_participant_id.choices = people_choices(actor, case.id,
                                                         ParticipantRole.ALLEGED_OFFENDER)
    if not form.is_submitted():
        form.starts_on.data = cases.local_today()
        if request.args.get("type") in kinds:
            form.measure_type.data = request.args["type"]
    done = submit_form(form, lambda: measures.issue_measure(actor, case_id, _measure_input(form)),
                       done=_measure_recorded)
    return done or render_and_commit("cases/measure_form.html", form=form, case=case,
                                     kinds=kinds)


@bp.route("/measures/<int:measure_id>/breach", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def record_breach(measure_id: int) -> str | Response:
    actor = current_actor()
    measure = measures.get_measure_for(actor, measure_id)
    case = cases.writable_case(actor, measure.case_id, "incident_details")
    form = BreachForm()
    done = submit_form(form, lambda: measures.record_breach(
        actor, measure_id, occurred_at=aware(form.occurred_at.data),
        description=form.description.data or ""), done=case_url(case.id, "measures"),
        message=_("Breach recorded. Consider an administrative case under article 461."))
    return done or render_and_commit("cases/simple_form.html", form=form, case=case,
                                     title=_("Record a breach"))


@bp.route("/measures/<int:measure_id>/revoke", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def revoke_measure(measure_id: int) -> str | Response:
    actor = current_actor()
    measure = measures.get_measure_for(actor, measure_id)
    case = cases.writable_case(actor, measure.case_id, "incident_details")
    form = RevokeForm()
    if not form.is_submitted():
        form.version.data = str(measure.version)
    done = submit_form(form, lambda: measures.revoke_measure(
        actor, measure_id, reason=form.reason.data or "", expected_version=version_of(form)),
        done=case_url(case.id, "measures"), message=_("The measure is recorded as ended."))
    return done or render_and_commit("cases/simple_form.html", form=form, case=case,
                                     title=_("End a measure early"))


# --- notes ---------------------------------------------------------------------------------------


@bp.post("/<int:case_id>/notes")
@login_required
@require(Permission.CASE_WRITE)
def add_note(case_id: int) -> str | Response:
    actor = current_actor()
    case = cases.writable_case(actor, case_id, "notes")
    form = NoteForm()
    done = submit_form(form, lambda: notes.add_note(actor, case_id, form.body.data or ""),
                       done=case_url(case_id, "notes"), message=_("Note added."))
    return done or render_and_commit("cases/simple_form.html", form=form, case=case,
                                     title=_("Add a note"))


@bp.route("/notes/<int:note_id>/edit", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def edit_note(note_id: int) -> str | Response:
    actor = current_actor()
    note = notes.get_note_for(actor, note_id)
    case = cases.writable_case(actor, note.case_id, "notes")
    form = NoteForm() if request.method == "POST" else NoteForm(obj=note)
    if not form.is_submitted():
        form.version.data = str(note.version)
    stale = Reloaded(form, lambda: notes.get_note_for(actor, note_id))
    done = submit_form(form, lambda: notes.edit_note(
        actor, note_id, form.body.data or "", expected_version=int(form.version.data or 0)),
        done=case_url(case.id, "notes"), on_stale=stale,
        message=_("Note corrected; the earlier text is kept in its history."))
    return done or render_and_commit(
        "cases/simple_form.html", form=form, case=case, note=note, title=_("Correct a note"),
        current_body=stale.current.body if stale.current else None)
