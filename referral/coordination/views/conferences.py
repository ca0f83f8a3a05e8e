"""Case conference pages: schedule, agenda, attendance, summaries, held, minutes."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, require, role_can
from referral.access.scope import current_actor
from referral.cases.models import RISK_LEVEL_LABELS
from referral.coordination import forms as f
from referral.coordination.models import AGENDA_REASON_LABELS, AgendaReason
from referral.coordination.service import actions as action_service
from referral.coordination.service import conferences as service
from referral.coordination.views.blueprint import bp
from referral.coordination.views.choices import region_choices
from referral.errors import NotVisible
from referral.extensions import db
from referral.web.submit import run_or_flash, submit_form


@bp.get("/conferences")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def conferences() -> str:
    rows = service.list_conferences_for(current_actor())
    db.session.commit()
    return render_template("coordination/conferences.html", conferences=rows)


@bp.route("/conferences/new", methods=["GET", "POST"])
@login_required
@require(Permission.REFERRAL_COORDINATE)
def new_conference() -> str | Response:
    form = f.ConferenceForm()
    form.region_code.choices = region_choices(current_actor())
    done = submit_form(form, lambda: service.schedule_conference(
        current_actor(), region_code=form.region_code.data,
        scheduled_at=f.local_to_utc(form.scheduled_at.data), location=form.location.data or ""),
        done=lambda conference: url_for("coordination.conference", conference_id=conference.id),
        message=_("Case conference scheduled."))
    return done or render_template("coordination/conference_form.html", form=form)


def _agenda_form(proposals: list[service.Proposal], given: Any) -> f.AgendaForm:
    """The proposed cases to add, all ticked unless the form comes back with the user's input."""
    form = given or f.AgendaForm(formdata=None)
    form.case_ids.choices = [(p.case_id, p.reference) for p in proposals]
    if given is None:
        form.case_ids.data = [p.case_id for p in proposals]
    return form


def _attendance_form(attendance: list[Any], given: Any) -> f.AttendanceForm:
    form = given or f.AttendanceForm(formdata=None)
    form.agencies.choices = [(a.agency_id, a.agency.name) for a in attendance]
    if given is None:
        form.agencies.data = [a.agency_id for a in attendance if a.attended]
    return form


def _summary_forms(items: list[Any], given: dict[int, Any]) -> dict[int, f.SummaryForm]:
    forms = {}
    for item in items:
        form = given.get(item.id) or f.SummaryForm(formdata=None)
        if item.id not in given:
            form.summary.data, form.version.data = item.summary, str(item.version)
        forms[item.id] = form
    return forms


def _conference_context(conference_id: int, **forms: Any) -> dict[str, Any]:
    """The conference page's content; ``forms`` are submitted forms shown again with errors."""
    actor = current_actor()
    conference = service.get_conference_for(actor, conference_id)
    items = service.list_agenda(actor, conference.id)
    attendance = service.list_attendance(actor, conference.id)
    actions = action_service.list_conference_actions(actor, conference.id)
    previous = service.previous_conference(actor, conference)
    proposals = service.propose_agenda(actor, conference_id=conference.id)
    return {
        "conference": conference, "items": items, "attendance": attendance,
        "actions": actions, "previous": previous,
        "previous_actions": service.open_actions_of(actor, previous.id) if previous else [],
        "proposals": proposals,
        "agenda_form": _agenda_form(proposals, forms.get("agenda_form")),
        "attendance_form": _attendance_form(attendance, forms.get("attendance_form")),
        "summary_forms": _summary_forms(items, forms.get("summary_forms", {})),
        "confirm": f.ConfirmForm(),
        "reason_labels": AGENDA_REASON_LABELS, "risk_labels": RISK_LEVEL_LABELS,
    }


@bp.get("/conferences/<int:conference_id>")
@login_required
def conference(conference_id: int) -> str | Response:
    actor = current_actor()
    if not role_can(actor.role, Permission.REFERRAL_COORDINATE):
        if not role_can(actor.role, Permission.REFERRAL_RESPOND):
            raise NotVisible("conference", conference_id)
        service.get_conference_for(actor, conference_id)  # 404 unless their agency attended
        db.session.commit()
        return redirect(url_for("coordination.minutes", conference_id=conference_id))
    context = _conference_context(conference_id)
    db.session.commit()
    return render_template("coordination/conference.html", **context)


def _at(conference_id: int, anchor: str = "") -> str:
    return url_for("coordination.conference", conference_id=conference_id) + anchor


def _render_again(conference_id: int, **forms: Any) -> str:
    db.session.rollback()
    context = _conference_context(conference_id, **forms)
    db.session.commit()
    return render_template("coordination/conference.html", **context)


def _add_cases(conference_id: int, case_ids: list[int]) -> None:
    for case_id in case_ids:
        service.add_case_to_agenda(current_actor(), conference_id=conference_id,
                                   case_id=case_id, reason=_reason_for(conference_id, case_id))


def _reason_for(conference_id: int, case_id: int) -> str:
    """The first qualifying reason of a proposed case (it is recorded on the agenda)."""
    for proposal in service.propose_agenda(current_actor(), conference_id=conference_id):
        if proposal.case_id == case_id and proposal.reasons:
            return proposal.reasons[0]
    return AgendaReason.COORDINATOR


@bp.post("/conferences/<int:conference_id>/agenda")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def add_agenda(conference_id: int) -> str | Response:
    service.get_conference_for(current_actor(), conference_id)  # 404 outside the region
    form = f.AgendaForm()
    if form.validate_on_submit():
        ids = form.case_ids.data or []
        if not run_or_flash(lambda: _add_cases(conference_id, ids),
                            message=_("%(n)d case(s) added to the agenda.", n=len(ids))):
            return _render_again(conference_id, agenda_form=form)
    return redirect(_at(conference_id, "#agenda"))


@bp.post("/conferences/<int:conference_id>/attendance")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def attendance(conference_id: int) -> str | Response:
    form = f.AttendanceForm()
    if not form.validate_on_submit():
        return redirect(_at(conference_id, "#attendance"))
    done = submit_form(form, lambda: service.record_attendance(
        current_actor(), conference_id=conference_id,
        attended_agency_ids=form.agencies.data or []),
        done=_at(conference_id, "#attendance"), message=_("Attendance recorded."))
    return done or _render_again(conference_id, attendance_form=form)


@bp.post("/conferences/<int:conference_id>/held")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def held(conference_id: int) -> Response:
    message = _("Conference marked as held. Attending agencies can read the minutes.")
    if f.ConfirmForm().validate_on_submit():
        run_or_flash(lambda: service.mark_held(current_actor(), conference_id=conference_id),
                     message=message)
    return redirect(_at(conference_id))


@bp.post("/agenda/<int:item_id>/summary")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def summary(item_id: int) -> str | Response:
    item = service.get_agenda_item_for(current_actor(), item_id, coordinator=True)
    conference_id = item.conference_id
    form = f.SummaryForm()
    if not form.validate_on_submit():
        return redirect(_at(conference_id, f"#item-{item_id}"))
    done = submit_form(form, lambda: service.record_summary(
        current_actor(), item_id=item_id, summary=form.summary.data or "",
        expected_version=int(form.version.data or 0)),
        done=_at(conference_id, f"#item-{item_id}"), message=_("Summary saved."))
    return done or _render_again(conference_id, summary_forms={item_id: form})


@bp.post("/agenda/<int:item_id>/remove")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def remove_item(item_id: int) -> Response:
    item = service.get_agenda_item_for(current_actor(), item_id, coordinator=True)
    conference_id = item.conference_id
    if f.ConfirmForm().validate_on_submit():
        run_or_flash(lambda: service.remove_agenda_item(current_actor(), item_id=item_id),
                     message=_("Case removed from the agenda."))
    return redirect(_at(conference_id, "#agenda"))


@bp.get("/conferences/<int:conference_id>/minutes")
@login_required
def minutes(conference_id: int) -> str:
    actor = current_actor()
    if not (role_can(actor.role, Permission.REFERRAL_COORDINATE)
            or role_can(actor.role, Permission.REFERRAL_RESPOND)):
        raise NotVisible("conference", conference_id)
    conference, items = service.minutes_for(actor, conference_id)
    attendance = service.list_attendance(actor, conference.id)
    db.session.commit()
    return render_template("coordination/minutes.html", conference=conference, items=items,
                           attendance=attendance, reason_labels=AGENDA_REASON_LABELS)
