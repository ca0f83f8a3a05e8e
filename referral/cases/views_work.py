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
from referral.cases import offences as offence_table
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
from referral.web.forms import attach_error, form_int
from referral.web.transaction import run_action


def _people_choices(actor: Any, case_id: int, role: str) -> list[tuple[Any, str]]:
    rows = cases.list_participants(actor, case_id, roles=(role,))
    return [("", "—")] + [(p.id, p.person.full_name) for p in rows]


# --- incidents -----------------------------------------------------------------------------------


def _offence_choices() -> list[tuple[Any, str]]:
    """Each article, and each of its parts where the parts differ in kind (the article alone
    then stands for "part not yet determined"), with its kind and dates."""
    choices: list[tuple[Any, str]] = [("", _("Not qualified yet"))]
    for o in offence_table.list_offences():
        period = ""
        if o.valid_until:
            period = " " + _("(until %(day)s)", day=o.valid_until.isoformat())
        elif o.valid_from and o.valid_from.year > 2015:  # not merely the 2014 codes' start
            period = " " + _("(from %(day)s)", day=o.valid_from.isoformat())
        for part in ["", *(p.part for p in o.parts)]:
            kind = incidents.OFFENCE_KINDS.get(o.kind_of(part), "")
            value = f"{o.id}:{part}" if part else str(o.id)
            choices.append((value, f"{offence_table.offence_label(o, part)} ({kind}){period}"))
    return choices


def _offence_value(value: str | None) -> tuple[int | None, str]:
    """The form's "id" or "id:part" as (id, part); anything else as no offence, which the
    service then refuses when a part was sent without a known article."""
    number, _sep, part = (value or "").partition(":")
    offence_id = form_int(number)
    return offence_id, part.strip()[:8] if offence_id is not None else ""


def _incident_input(form: IncidentForm) -> incidents.IncidentInput:
    flags = ("physical", "sexual", "psychological", "economic", "penetration",
             "forced_marriage", "children_present", "children_witnessed",
             "female_investigator_requested", "non_gbv")
    texts = ("place", "injuries", "police_record_number", "description")
    offence_id, offence_part = _offence_value(form.offence_id.data)
    return incidents.IncidentInput(
        occurred_at=_aware(form.occurred_at.data), reported_by=form.reported_by.data,
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
    result = None
    if form.validate_on_submit():
        data = _incident_input(form)
        result = _do(lambda: incidents.classify_incident(actor, case_id, data), form)
        # Saved only once the page has shown this very classification (no JS needed).
        if result is not None and "save" in request.form:
            if form.shown.data == _shown_token(result):
                incident = _do(lambda: incidents.record_incident(actor, case_id, data), form)
                if incident is not None:
                    if incident.is_repeat:
                        flash(_("This is a repeat incident: the same person was involved in "
                                "another incident within 12 months. The case is marked "
                                "repeat."), "warning")
                    flash(_("Incident recorded."), "success")
                    return redirect(url_for("cases.detail", case_id=case_id) + "#incidents")
            else:
                flash(_("Check the classification below, then save the incident."), "info")
        if result is not None:
            form.shown.data = _shown_token(result)
    return render_and_commit("cases/incident_form.html", form=form, case=case,
                             classification=result, offence_label=offence_table.offence_label)


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
            if assessment.level == RiskLevel.HIGH:
                flash(_("High risk: the case is on the coordinator's review now and will be "
                        "proposed for the region's next case conference."), "warning")
            return redirect(url_for("cases.detail", case_id=case_id) + "#risk")
    return render_and_commit("cases/risk_form.html", form=form, case=case,
                           items=risk.current().items, limits=risk.current_thresholds(),
                           group_labels=risk.GROUP_LABELS)


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
        done = _do(lambda: offence_table.add_offence(
            code=form.code.data, article=form.article.data, kind=form.kind.data,
            source=form.source.data or "",
            title_en=form.title_en.data, title_ru=form.title_ru.data or "",
            title_kk=form.title_kk.data or "", valid_from=form.valid_from.data,
            valid_until=form.valid_until.data), form)
        if done is not None:
            flash(_("Offence added."), "success")
            return redirect(url_for("cases.offences"))
    return render_and_commit("cases/offences.html", form=form,
                             offences=offence_table.list_offences(), kinds=incidents.OFFENCE_KINDS,
                             gbv_types=incidents.GBV_TYPES)
