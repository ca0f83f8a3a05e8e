"""One referral's page: what it shows, with the forms of the actions the user may take.

``act`` is the one shape of every action on the page: the action's form, one service call in
one transaction, then the page again; on a refusal the page is shown with that form open and
as typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, require, role_can
from referral.access.scope import Actor, current_actor
from referral.accounts.models import User
from referral.agencies import pickers
from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals import forms as f
from referral.referrals import progress, service
from referral.referrals.lifecycle import REFER_ELSEWHERE_FROM, Action, Side, allowed_actions
from referral.referrals.models import Referral
from referral.referrals.views.blueprint import bp
from referral.web.submit import submit_form
from referral.web.templating import format_local_datetime


def _fill_accept(form: Any, referral: Referral, actor: Actor) -> None:
    """Who may be named to work on it: active staff of the receiving agency who answer."""
    staff = db.session.execute(
        select(User).where(User.agency_id == referral.receiver_agency_id).order_by(User.full_name)
    ).scalars().all()
    form.assignee_user_id.choices = [
        (u.id, u.full_name) for u in staff
        if u.is_active and role_can(u.role, Permission.REFERRAL_RESPOND)]
    if not form.is_submitted():
        form.assignee_user_id.data = actor.user_id


def _fill_reassign(form: Any, referral: Referral, actor: Actor) -> None:
    form.picker = pickers.agency_picker(
        actor, show=pickers.parse_show(request.args.get(pickers.PARAM)),
        service_code=referral.service_code, receiving=True,
        exclude_ids=(referral.receiver_agency_id,), keep_id=form.receiver_agency_id.data)
    form.receiver_agency_id.choices = form.picker.choices()


def _progress_context(actor: Actor, referral: Referral, form: Any) -> dict[str, Any]:
    """Notes the actor reads, the form (its "corrects" choices: the agency's own notes), and
    which notes a later one corrects."""
    notes = progress.list_progress_notes_for(actor, referral)
    form.corrects_id.choices = [("", "—")] + [
        (n.id, f"{format_local_datetime(n.created_at, 'short')} · {n.author.full_name}")
        for n in notes if n.agency_id == actor.agency_id]
    return {"progress_notes": notes, "progress_form": form,
            "can_add_progress_note": progress.can_add_note(actor, referral),
            "corrected_note_ids": {n.corrects_id for n in notes if n.corrects_id}}


def _successor_and_actions(referral: Referral,
                           sides: set[Side]) -> tuple[Referral | None, set[Action]]:
    """An ended referral replaced by another (reassigned or referred elsewhere) offers neither
    a reassignment nor a referral elsewhere."""
    successor = (service.successor_of(referral.id)
                 if referral.status in REFER_ELSEWHERE_FROM else None)
    actions = allowed_actions(referral.status, sides)
    if successor is not None:
        actions.discard(Action.REASSIGN)
    return successor, actions


def _detail_context(referral_id: int, forms: dict[str, Any] | None = None) -> dict[str, Any]:
    actor = current_actor()
    referral = service.get_referral_for(actor, referral_id)
    forms = forms or f.action_forms()
    sides = service.sides_for(actor, referral)
    _fill_accept(forms["accept"], referral, actor)
    _fill_reassign(forms["reassign"], referral, actor)
    successor, actions = _successor_and_actions(referral, sides)
    consent = service.get_consent_for(actor, referral.id)
    return {
        "referral": referral, "forms": forms, "actions": actions, "sides": sides,
        "consent": consent,
        "consent_in_force": service.consent_in_force(consent, referral, utcnow()),
        "history": service.list_history_for(actor, referral.id),
        "can_refer_elsewhere": referral.status in REFER_ELSEWHERE_FROM
        and "sender" in sides and successor is None,
        "successor": successor,
        "opened_by": db.session.get(User, referral.received_by_id)
        if referral.received_by_id else None,
        "capacity": service.capacity_of(referral.receiver_agency_id),
        **_progress_context(actor, referral, forms["progress"]),
    }


@bp.get("/referrals/<int:referral_id>")
@login_required
@require(Permission.CASE_READ)
def detail(referral_id: int) -> str:
    context = _detail_context(referral_id)
    db.session.commit()
    # The region switch reloads the page: the reassign panel it belongs to stays open.
    open_form = "reassign" if pickers.PARAM in request.args else None
    return render_template("referrals/detail.html", open_form=open_form, **context)


def act(referral_id: int, name: str, call: Callable[[Any], Any], message: str, *,
        done: Callable[[Any], str] | None = None) -> str | Response:
    """Run the action ``name`` on the referral from its form, then show the referral (``done``
    of the service's result: another page); or the page again with the form open."""
    forms = f.action_forms()
    form = forms[name]
    called: list[bool] = []  # whether the input passed the form's checks and the service ran
    page = done or (lambda _result: url_for("referrals.detail", referral_id=referral_id))
    moved = submit_form(form, lambda: called.append(True) or call(form), done=page,
                        message=message)
    if moved is not None:
        return moved
    if not called:  # the input itself was wrong (a refusal of the service is beside its field)
        flash(_("Please correct the highlighted fields."), "error")
    context = _detail_context(referral_id, forms)
    db.session.commit()
    return render_template("referrals/detail.html", open_form=name, **context)
