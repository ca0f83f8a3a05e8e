"""Case conference pages: schedule, agenda, attendance, summaries, actions, minutes, work list."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, Role, require, role_can
from referral.access.scope import current_actor
from referral.accounts.models import User
from referral.cases.models import RISK_LEVEL_LABELS
from referral.coordination import actions as action_service
from referral.coordination import conferences as service
from referral.coordination import forms as f
from referral.coordination.blueprint import bp
from referral.coordination.common import local_today
from referral.coordination.models import AGENDA_REASON_LABELS, AgendaReason
from referral.errors import DomainError, NotVisible
from referral.extensions import db
from referral.models_base import utcnow
from referral.web.forms import attach_error
from referral.web.transaction import run_action


def _region_choices() -> list[tuple[str, str]]:
    from referral.coordination.views import _regions

    return [(r.code, r.name) for r in _regions(current_actor())]


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
    form.region_code.choices = _region_choices()
    if form.validate_on_submit():
        try:
            conference = run_action(lambda: service.schedule_conference(
                current_actor(), region_code=form.region_code.data,
                scheduled_at=f.local_to_utc(form.scheduled_at.data),
                location=form.location.data or ""))
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
        else:
            flash(_("Case conference scheduled."), "success")
            return redirect(url_for("coordination.conference", conference_id=conference.id))
    return render_template("coordination/conference_form.html", form=form)


def _conference_context(conference_id: int, **forms: Any) -> dict[str, Any]:
    actor = current_actor()
    conference = service.get_conference_for(actor, conference_id)
    items = service.list_agenda(actor, conference.id)
    attendance = service.list_attendance(actor, conference.id)
    actions = action_service.list_conference_actions(actor, conference.id)
    previous = service.previous_conference(actor, conference)
    proposals = service.propose_agenda(actor, conference_id=conference.id)
    agenda_form = forms.get("agenda_form") or f.AgendaForm(formdata=None)
    agenda_form.case_ids.choices = [(p.case_id, p.reference) for p in proposals]
    if "agenda_form" not in forms:
        agenda_form.case_ids.data = [p.case_id for p in proposals]
    attendance_form = forms.get("attendance_form") or f.AttendanceForm(formdata=None)
    attendance_form.agencies.choices = [(a.agency_id, a.agency.name) for a in attendance]
    if "attendance_form" not in forms:
        attendance_form.agencies.data = [a.agency_id for a in attendance if a.attended]
    summary_forms = {}
    for item in items:
        form = forms.get("summary_forms", {}).get(item.id) or f.SummaryForm(formdata=None)
        if item.id not in forms.get("summary_forms", {}):
            form.summary.data, form.version.data = item.summary, str(item.version)
        summary_forms[item.id] = form
    return {
        "conference": conference, "items": items, "attendance": attendance,
        "actions": actions, "previous": previous,
        "previous_actions": service.open_actions_of(actor, previous.id) if previous else [],
        "proposals": proposals, "agenda_form": agenda_form, "attendance_form": attendance_form,
        "summary_forms": summary_forms, "confirm": f.ConfirmForm(),
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


def _back(conference_id: int, anchor: str = "") -> Response:
    return redirect(url_for("coordination.conference", conference_id=conference_id) + anchor)


def _render_again(conference_id: int, **forms: Any) -> str:
    db.session.rollback()
    context = _conference_context(conference_id, **forms)
    db.session.commit()
    return render_template("coordination/conference.html", **context)


@bp.post("/conferences/<int:conference_id>/agenda")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def add_agenda(conference_id: int) -> str | Response:
    service.get_conference_for(current_actor(), conference_id)  # 404 outside the region
    form = f.AgendaForm()
    if form.validate_on_submit():
        ids = form.case_ids.data or []
        try:
            run_action(lambda: [service.add_case_to_agenda(
                current_actor(), conference_id=conference_id, case_id=case_id,
                reason=_reason_for(conference_id, case_id)) for case_id in ids])
        except DomainError as err:
            flash(err.message, "error")
            return _render_again(conference_id, agenda_form=form)
        flash(_("%(n)d case(s) added to the agenda.", n=len(ids)), "success")
    return _back(conference_id, "#agenda")


def _reason_for(conference_id: int, case_id: int) -> str:
    """The first qualifying reason of a proposed case (it is recorded on the agenda)."""
    for proposal in service.propose_agenda(current_actor(), conference_id=conference_id):
        if proposal.case_id == case_id and proposal.reasons:
            return proposal.reasons[0]
    return AgendaReason.COORDINATOR


@bp.post("/conferences/<int:conference_id>/attendance")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def attendance(conference_id: int) -> str | Response:
    form = f.AttendanceForm()
    if form.validate_on_submit():
        try:
            run_action(lambda: service.record_attendance(
                current_actor(), conference_id=conference_id,
                attended_agency_ids=form.agencies.data or []))
        except DomainError as err:
            attach_error(form, err)
            return _render_again(conference_id, attendance_form=form)
        flash(_("Attendance recorded."), "success")
    return _back(conference_id, "#attendance")


@bp.post("/conferences/<int:conference_id>/held")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def held(conference_id: int) -> Response:
    if f.ConfirmForm().validate_on_submit():
        try:
            run_action(lambda: service.mark_held(current_actor(), conference_id=conference_id))
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "error")
        else:
            flash(_("Conference marked as held. Attending agencies can read the minutes."),
                  "success")
    return _back(conference_id)


@bp.post("/agenda/<int:item_id>/summary")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def summary(item_id: int) -> str | Response:
    item = service.get_agenda_item_for(current_actor(), item_id, coordinator=True)
    conference_id = item.conference_id
    form = f.SummaryForm()
    if form.validate_on_submit():
        try:
            run_action(lambda: service.record_summary(
                current_actor(), item_id=item_id, summary=form.summary.data or "",
                expected_version=int(form.version.data or 0)))
        except DomainError as err:
            attach_error(form, err)
            return _render_again(conference_id, summary_forms={item_id: form})
        flash(_("Summary saved."), "success")
    return _back(conference_id, f"#item-{item_id}")


@bp.post("/agenda/<int:item_id>/remove")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def remove_item(item_id: int) -> Response:
    item = service.get_agenda_item_for(current_actor(), item_id, coordinator=True)
    conference_id = item.conference_id
    if f.ConfirmForm().validate_on_submit():
        try:
            run_action(lambda: service.remove_agenda_item(current_actor(), item_id=item_id))
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "error")
        else:
            flash(_("Case removed from the agenda."), "success")
    return _back(conference_id, "#agenda")


def _assignee_choices(region_code: str) -> list[tuple[str, str]]:
    agencies = service.region_agencies(region_code)
    users = db.session.execute(select(User).where(
        User.agency_id.in_([a.id for a in agencies]), User.is_active_account.is_(True),
        User.role.in_([Role.OFFICER.value, Role.AGENCY_MANAGER.value])
    ).order_by(User.full_name)).scalars().all()
    choices: list[tuple[str, str]] = [("", "—")]
    for agency in agencies:
        choices.append((f"{agency.id}:", _("%(agency)s — whole agency", agency=agency.name)))
        choices += [(f"{agency.id}:{u.id}", f"{agency.name} — {u.full_name}")
                    for u in users if u.agency_id == agency.id]
    return choices


def _parse_assignee(value: str) -> tuple[int, int | None]:
    agency, _sep, user = (value or "").partition(":")
    try:
        return int(agency), (int(user) if user else None)
    except ValueError as exc:
        raise DomainError(_("Choose an agency."), field="assignee") from exc


@bp.route("/agenda/<int:item_id>/actions/new", methods=["GET", "POST"])
@login_required
@require(Permission.REFERRAL_COORDINATE)
def new_action(item_id: int) -> str | Response:
    actor = current_actor()
    item = service.get_agenda_item_for(actor, item_id, coordinator=True)
    conference = service.get_conference_for(actor, item.conference_id)
    form = f.ActionForm()
    form.assignee.choices = _assignee_choices(conference.region_code)
    if form.validate_on_submit():
        try:
            agency_id, owner_id = _parse_assignee(form.assignee.data)
            run_action(lambda: action_service.assign_action(
                actor, item_id=item_id, agency_id=agency_id, owner_user_id=owner_id,
                description=form.description.data or "", due_on=form.due_on.data))
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
        else:
            flash(_("Action assigned. It appears in the agency's work list."), "success")
            return _back(item.conference_id, f"#item-{item_id}")
    db.session.commit()
    return render_template("coordination/action_form.html", form=form, item=item,
                           conference=conference)


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


@bp.get("/actions")
@login_required
@require(Permission.REFERRAL_RESPOND)
def actions() -> str:
    actor = current_actor()
    show_closed = request.args.get("closed") == "1"
    rows = action_service.list_agency_actions(actor, include_closed=show_closed)
    db.session.commit()
    return render_template("coordination/actions.html", actions=rows, show_closed=show_closed,
                           confirm=f.ConfirmForm(), today=local_today(utcnow()))


@bp.post("/actions/<int:action_id>/complete")
@login_required
def complete_action(action_id: int) -> Response:
    actor = current_actor()
    if not (role_can(actor.role, Permission.REFERRAL_COORDINATE)
            or role_can(actor.role, Permission.REFERRAL_RESPOND)):
        raise NotVisible("conference_action", action_id)
    if f.ConfirmForm().validate_on_submit():
        try:
            run_action(lambda: action_service.complete_action(actor, action_id=action_id))
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "error")
        else:
            flash(_("Action marked as done."), "success")
    target = request.form.get("next") or ""
    if target.startswith("/coordination/") and "//" not in target:
        return redirect(target)
    return redirect(url_for("coordination.actions"))
