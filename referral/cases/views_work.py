"""Case pages for the day's work: incidents, risk assessments, protective measures, notes,
and the offences reference table. Routes live on the cases blueprint (see views.py)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, require
from referral.access.scope import current_actor
from referral.cases import incidents, measures, notes, risk
from referral.cases import service as cases
from referral.cases.forms import (
    BreachForm,
    IncidentForm,
    MeasureForm,
    NoteForm,
    OffenceForm,
    RevokeForm,
    RiskForm,
)
from referral.cases.models import RISK_LEVEL_LABELS, ParticipantRole, RiskLevel
from referral.cases.views import _aware, _do, bp, render_and_commit
from referral.errors import DomainError, StaleEdit
from referral.web.forms import attach_error
from referral.web.transaction import run_action


def _people_choices(actor: Any, case_id: int, role: str) -> list[tuple[Any, str]]:
    rows = cases.list_participants(actor, case_id, roles=(role,))
    return [("", "—")] + [(p.id, p.person.full_name) for p in rows]


# --- incidents -----------------------------------------------------------------------------------


def _offence_choices() -> list[tuple[Any, str]]:
    choices: list[tuple[Any, str]] = [("", _("Not qualified yet"))]
    for o in incidents.list_offences():
        code = _("Criminal Code") if o.code == "criminal" else _("Administrative Code")
        period = ""
        if o.valid_until:
            period = " " + _("(until %(day)s)", day=o.valid_until.isoformat())
        elif o.valid_from:
            period = " " + _("(from %(day)s)", day=o.valid_from.isoformat())
        choices.append((o.id, f"{code} {o.article} · {o.title}{period}"))
    return choices


@bp.route("/<int:case_id>/incidents/new", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def new_incident(case_id: int) -> str | Response:
    actor = current_actor()
    case = cases.writable_case(actor, case_id, "incident_details")
    form = IncidentForm()
    form.reported_by.choices = [(k, str(v)) for k, v in incidents.REPORTED_BY.items()]
    form.weapon.choices = [(k, str(v)) for k, v in incidents.WEAPONS.items()]
    form.offence_id.choices = _offence_choices()
    form.survivor_participant_id.choices = _people_choices(actor, case.id,
                                                           ParticipantRole.SURVIVOR)
    form.offender_participant_id.choices = _people_choices(actor, case.id,
                                                           ParticipantRole.ALLEGED_OFFENDER)
    if form.validate_on_submit():
        flags = ("physical", "sexual", "psychological", "economic", "penetration",
                 "forced_marriage", "children_present", "children_witnessed",
                 "female_investigator_requested")
        texts = ("place", "injuries", "police_record_number", "description")
        data = incidents.IncidentInput(
            occurred_at=_aware(form.occurred_at.data), reported_by=form.reported_by.data,
            weapon=form.weapon.data, offence_id=form.offence_id.data,
            survivor_participant_id=form.survivor_participant_id.data,
            offender_participant_id=form.offender_participant_id.data,
            **{name: bool(getattr(form, name).data) for name in flags},
            **{name: getattr(form, name).data or "" for name in texts})
        incident = _do(lambda: incidents.record_incident(actor, case_id, data), form)
        if incident is not None:
            if incident.is_repeat:
                flash(_("This is a repeat incident: the same person was involved in another "
                        "incident within 12 months. The case is marked repeat."), "warning")
            flash(_("Incident recorded."), "success")
            return redirect(url_for("cases.detail", case_id=case_id) + "#incidents")
    return render_and_commit("cases/incident_form.html", form=form, case=case)


# --- risk ----------------------------------------------------------------------------------------


@bp.route("/<int:case_id>/risk/new", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def new_assessment(case_id: int) -> str | Response:
    actor = current_actor()
    case = cases.writable_case(actor, case_id, "risk_assessment")
    form = RiskForm()
    form.survivor_participant_id.choices = _people_choices(actor, case.id,
                                                           ParticipantRole.SURVIVOR)
    form.override_level.choices = [("", _("No change"))] + [
        (level.value, str(RISK_LEVEL_LABELS[level])) for level in (RiskLevel.MEDIUM,
                                                                    RiskLevel.HIGH)]
    if form.validate_on_submit():
        answers = {code: risk.Answer(getattr(form, f"q_{code}").data,
                                     getattr(form, f"c_{code}").data or "")
                   for code in risk.FACTOR_CODES}
        assessment = _do(lambda: risk.record_assessment(
            actor, case_id, answers, override_level=form.override_level.data or None,
            override_reason=form.override_reason.data or "",
            survivor_participant_id=form.survivor_participant_id.data), form)
        if assessment is not None:
            flash(_("Risk assessment saved: %(level)s (%(score)d of %(total)d yes).",
                    level=RISK_LEVEL_LABELS[RiskLevel(assessment.level)],
                    score=assessment.score, total=len(risk.FACTOR_CODES)), "success")
            return redirect(url_for("cases.detail", case_id=case_id) + "#risk")
    medium, high = risk.thresholds()
    return render_and_commit("cases/risk_form.html", form=form, case=case,
                           factors=risk.RISK_FACTORS, medium_from=medium, high_from=high)


@bp.get("/risk/<int:assessment_id>")
@login_required
@require(Permission.CASE_READ)
def assessment(assessment_id: int) -> str:
    actor = current_actor()
    found = risk.get_assessment_for(actor, assessment_id)
    case = cases.get_case_for(actor, found.case_id)
    return render_and_commit("cases/risk_detail.html", assessment=found, case=case,
                           factors=risk.RISK_FACTORS, answers=risk.ANSWERS,
                           risk_labels=RISK_LEVEL_LABELS)


# --- protective measures -------------------------------------------------------------------------


@bp.route("/<int:case_id>/measures/new", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def new_measure(case_id: int) -> str | Response:
    actor = current_actor()
    case = cases.writable_case(actor, case_id, "incident_details")
    kinds = measures.measure_types()
    form = MeasureForm()
    form.measure_type.choices = [(k.code, k.title) for k in kinds.values()]
    form.against_participant_id.choices = _people_choices(actor, case.id,
                                                          ParticipantRole.ALLEGED_OFFENDER)
    if not form.is_submitted():
        form.starts_on.data = cases.local_today()
        if request.args.get("type") in kinds:
            form.measure_type.data = request.args["type"]
    if form.validate_on_submit():
        data = measures.MeasureInput(
            measure_type=form.measure_type.data, starts_on=form.starts_on.data,
            ends_on=form.ends_on.data, against_participant_id=form.against_participant_id.data,
            issuing_body=form.issuing_body.data or "",
            document_number=form.document_number.data or "",
            conditions=form.conditions.data or "")
        measure = _do(lambda: measures.issue_measure(actor, case_id, data), form)
        if measure is not None:
            flash(_("Measure recorded: in force until %(day)s.",
                    day=measure.ends_on.isoformat()), "success")
            return redirect(url_for("cases.detail", case_id=case_id) + "#measures")
    return render_and_commit("cases/measure_form.html", form=form, case=case, kinds=kinds)


@bp.route("/measures/<int:measure_id>/breach", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def record_breach(measure_id: int) -> str | Response:
    actor = current_actor()
    measure = measures.get_measure_for(actor, measure_id)
    case = cases.writable_case(actor, measure.case_id, "incident_details")
    form = BreachForm()
    if form.validate_on_submit():
        done = _do(lambda: measures.record_breach(
            actor, measure_id, occurred_at=_aware(form.occurred_at.data),
            description=form.description.data or ""), form)
        if done is not None:
            flash(_("Breach recorded. Consider an administrative case under article 461."),
                  "success")
            return redirect(url_for("cases.detail", case_id=case.id) + "#measures")
    return render_and_commit("cases/simple_form.html", form=form, case=case,
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
    if form.validate_on_submit():
        done = _do(lambda: measures.revoke_measure(
            actor, measure_id, reason=form.reason.data or "",
            expected_version=int(form.version.data or 0) or None), form)
        if done is not None:
            flash(_("The measure is recorded as ended."), "success")
            return redirect(url_for("cases.detail", case_id=case.id) + "#measures")
    return render_and_commit("cases/simple_form.html", form=form, case=case,
                           title=_("End a measure early"))


# --- notes ---------------------------------------------------------------------------------------


@bp.post("/<int:case_id>/notes")
@login_required
@require(Permission.CASE_WRITE)
def add_note(case_id: int) -> str | Response:
    actor = current_actor()
    case = cases.writable_case(actor, case_id, "notes")
    form = NoteForm()
    if form.validate_on_submit() and _do(
            lambda: notes.add_note(actor, case_id, form.body.data or ""), form) is not None:
        flash(_("Note added."), "success")
        return redirect(url_for("cases.detail", case_id=case_id) + "#notes")
    return render_and_commit("cases/simple_form.html", form=form, case=case, title=_("Add a note"))


@bp.route("/notes/<int:note_id>/edit", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def edit_note(note_id: int) -> str | Response:
    actor = current_actor()
    note = notes.get_note_for(actor, note_id)
    case = cases.writable_case(actor, note.case_id, "notes")
    form = NoteForm() if request.method == "POST" else NoteForm(obj=note)
    current = None
    if not form.is_submitted():
        form.version.data = str(note.version)
    if form.validate_on_submit():
        try:
            run_action(lambda: notes.edit_note(
                actor, note_id, form.body.data or "", expected_version=int(form.version.data
                                                                           or 0)))
        except StaleEdit as err:
            attach_error(form, err)
            current = notes.get_note_for(actor, note_id)
            form.version.data = str(current.version)
        except DomainError as err:
            attach_error(form, err)
        else:
            flash(_("Note corrected; the earlier text is kept in its history."), "success")
            return redirect(url_for("cases.detail", case_id=case.id) + "#notes")
    return render_and_commit("cases/simple_form.html", form=form, case=case, note=note,
                           current_body=current.body if current else None,
                           title=_("Correct a note"))


# --- offences (reference data) -------------------------------------------------------------------


@bp.route("/offences", methods=["GET", "POST"])
@login_required
@require(Permission.REFERENCE_DATA_MANAGE)
def offences() -> str | Response:
    form = OffenceForm()
    if form.validate_on_submit():
        done = _do(lambda: incidents.add_offence(
            code=form.code.data, article=form.article.data, kind=form.kind.data,
            title_en=form.title_en.data, title_ru=form.title_ru.data or "",
            title_kk=form.title_kk.data or "", valid_from=form.valid_from.data,
            valid_until=form.valid_until.data), form)
        if done is not None:
            flash(_("Offence added."), "success")
            return redirect(url_for("cases.offences"))
    return render_and_commit("cases/offences.html", form=form, offences=incidents.list_offences())
