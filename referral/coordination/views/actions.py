"""Conference action pages: assigning an action at the conference, the agency's work list."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, Role, require, role_can
from referral.access.scope import Actor, current_actor
from referral.accounts.models import User
from referral.coordination import forms as f
from referral.coordination.local_time import local_today
from referral.coordination.models import AgendaItem, ConferenceAction
from referral.coordination.service import actions as service
from referral.coordination.service import conferences
from referral.coordination.views.blueprint import bp
from referral.errors import DomainError, NotVisible
from referral.extensions import db
from referral.models_base import utcnow
from referral.web.submit import run_or_flash, submit_form


def _assignee_choices(region_code: str) -> list[tuple[str, str]]:
    """"Agency — whole agency" and "Agency — user" for each agency of the region."""
    agencies = conferences.region_agencies(region_code)
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


def _assign(actor: Actor, item: AgendaItem, form: f.ActionForm) -> ConferenceAction:
    agency_id, owner_id = _parse_assignee(form.assignee.data)
    return service.assign_action(
        actor, item_id=item.id, agency_id=agency_id, owner_user_id=owner_id,
        description=form.description.data or "", due_on=form.due_on.data)


@bp.route("/agenda/<int:item_id>/actions/new", methods=["GET", "POST"])
@login_required
@require(Permission.REFERRAL_COORDINATE)
def new_action(item_id: int) -> str | Response:
    actor = current_actor()
    item = conferences.get_agenda_item_for(actor, item_id, coordinator=True)
    conference = conferences.get_conference_for(actor, item.conference_id)
    form = f.ActionForm()
    form.assignee.choices = _assignee_choices(conference.region_code)
    done = submit_form(form, lambda: _assign(actor, item, form), done=url_for(
        "coordination.conference", conference_id=item.conference_id) + f"#item-{item_id}",
        message=_("Action assigned. It appears in the agency's work list."))
    if done:
        return done
    db.session.commit()
    return render_template("coordination/action_form.html", form=form, item=item,
                           conference=conference)


@bp.get("/actions")
@login_required
@require(Permission.REFERRAL_RESPOND)
def actions() -> str:
    actor = current_actor()
    show_closed = request.args.get("closed") == "1"
    rows = service.list_agency_actions(actor, include_closed=show_closed)
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
        run_or_flash(lambda: service.complete_action(actor, action_id=action_id),
                     message=_("Action marked as done."))
    target = request.form.get("next") or ""
    if target.startswith("/coordination/") and "//" not in target:
        return redirect(target)
    return redirect(url_for("coordination.actions"))
