"""Referral pages: inbox, outbox, region list, send form, detail with its action forms, directory.

Each POST: validate the form, one service call through ``run_action`` (commit, SQLite retry),
flash, redirect; on a refusal the detail page is shown again with the form as typed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, require, role_can
from referral.access.scope import current_actor
from referral.accounts.models import User
from referral.agencies import pickers
from referral.agencies.services import SERVICES
from referral.audit import service as audit
from referral.cases import service as cases_service
from referral.errors import DomainError
from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals import directory as directory_service
from referral.referrals import forms as f
from referral.referrals import service, templating
from referral.referrals.lifecycle import REFER_ELSEWHERE_FROM, Action, Status, allowed_actions
from referral.web.forms import attach_error
from referral.web.nav import add_nav
from referral.web.transaction import run_action

bp = Blueprint("referrals", __name__)

add_nav("referrals.inbox", _l("Referrals"), Permission.REFERRAL_RESPOND, 20)
add_nav("referrals.outbox", _l("Sent referrals"), Permission.REFERRAL_SEND, 21)
add_nav("referrals.region", _l("Referrals"), Permission.REFERRAL_COORDINATE, 20)
add_nav("referrals.directory", _l("Service directory"), Permission.DIRECTORY_READ, 25)

templating.register(bp)


@bp.get("/referrals/inbox")
@login_required
@require(Permission.REFERRAL_RESPOND)
def inbox() -> str:
    actor = current_actor()
    rows = service.list_inbox_for(actor)
    db.session.commit()
    return render_template("referrals/inbox.html", referrals=rows)


@bp.get("/referrals/outbox")
@login_required
@require(Permission.REFERRAL_SEND)
def outbox() -> str:
    status = request.args.get("status") or None
    if status not in set(Status):
        status = None
    before = request.args.get("before", type=int)
    page = service.list_outbox_for(current_actor(), status=status, before=before)
    db.session.commit()
    return render_template("referrals/outbox.html", referrals=page.referrals, older=page.older,
                           status=status, statuses=list(Status), first_page=before is None)


@bp.get("/referrals/region")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def region() -> str:
    rows = service.list_region_referrals_for(current_actor())
    db.session.commit()
    return render_template("referrals/region.html", referrals=rows)


# --- sending ------------------------------------------------------------------------------------


def _send_form_choices(form: f.SendReferralForm, service_code: str | None, case_id: int) -> None:
    form.fill()
    # Grouped by region, the user's first; any region one choice away (agencies.pickers).
    form.picker = pickers.agency_picker(
        current_actor(), show=pickers.parse_show(request.args.get(pickers.PARAM)),
        service_code=service_code or None, receiving=True,
        keep_id=form.receiver_agency_id.data)
    form.receiver_agency_id.choices = form.picker.choices()
    form.subject_participant_id.choices = [("", _("The survivor / the family"))] + [
        (p.id, f"{p.person.full_name} · {p.role_label}")
        for p in cases_service.list_participants(current_actor(), case_id)]


def _referral_input(form: f.SendReferralForm, case_id: int,
                    previous_id: int | None) -> service.ReferralInput:
    consented = form.consented.data == "yes"
    return service.ReferralInput(
        case_id=case_id, receiver_agency_id=form.receiver_agency_id.data or 0,
        service_code=form.service_code.data or "", urgency=form.urgency.data or None,
        reason=form.reason.data or "", need_to_know=form.need_to_know.data or "",
        subject_participant_id=form.subject_participant_id.data,
        idempotency_key=form.token.data or "", previous_referral_id=previous_id,
        consent=service.ConsentInput(
            consented=consented, categories=tuple(form.categories.data or ()),
            valid_until=f.end_of_local_day(form.consent_until.data),
            legal_ground=form.legal_ground.data or None,
            legal_ground_text=form.legal_ground_text.data or ""),
    )


@bp.route("/referrals/new", methods=["GET", "POST"])
@login_required
@require(Permission.REFERRAL_SEND)
def new() -> str | Response:
    actor = current_actor()
    case_id = request.args.get("case_id", type=int)
    previous_id = request.args.get("previous", type=int)
    if case_id is None:
        abort(404)
    case = service.load_case_for_sending(actor, case_id)
    previous = service.get_referral_for(actor, previous_id) if previous_id else None
    form = f.SendReferralForm()
    service_code = request.args.get("service") or form.service_code.data or (
        previous.service_code if previous else None)
    _send_form_choices(form, service_code, case_id)
    if not form.is_submitted():
        form.token.data = secrets.token_urlsafe(24)
        form.urgency.data = service.default_urgency(case.risk_level)
        form.service_code.data = service_code or ""
        if previous is not None:
            form.reason.data, form.need_to_know.data = previous.reason, previous.need_to_know
    if form.validate_on_submit():
        try:
            referral = run_action(lambda: service.send_referral(
                actor, data=_referral_input(form, case_id, previous_id)))
        except DomainError as err:
            attach_error(form, err)
        else:
            flash(_("Referral %(ref)s sent.", ref=referral.reference), "success")
            return redirect(url_for("referrals.detail", referral_id=referral.id))
    db.session.commit()
    return render_template("referrals/new.html", form=form, case=case, previous=previous,
                           service_code=service_code, deadlines=service.deadline_labels())


# --- one referral -------------------------------------------------------------------------------


def _detail_context(referral_id: int, forms: dict[str, Any] | None = None) -> dict[str, Any]:
    actor = current_actor()
    referral = service.get_referral_for(actor, referral_id)
    forms = forms or f.action_forms()
    sides = service.sides_for(actor, referral)
    staff = db.session.execute(
        select(User).where(User.agency_id == referral.receiver_agency_id).order_by(User.full_name)
    ).scalars().all()
    forms["accept"].assignee_user_id.choices = [
        (u.id, u.full_name) for u in staff
        if u.is_active and role_can(u.role, Permission.REFERRAL_RESPOND)]
    if not forms["accept"].is_submitted():
        forms["accept"].assignee_user_id.data = actor.user_id
    reassign = forms["reassign"]
    reassign.picker = pickers.agency_picker(
        actor, show=pickers.parse_show(request.args.get(pickers.PARAM)),
        service_code=referral.service_code, receiving=True,
        exclude_ids=(referral.receiver_agency_id,), keep_id=reassign.receiver_agency_id.data)
    reassign.receiver_agency_id.choices = reassign.picker.choices()
    # An ended referral replaced by another (reassigned or referred elsewhere) offers neither.
    successor = (service.successor_of(referral.id)
                 if referral.status in REFER_ELSEWHERE_FROM else None)
    actions = allowed_actions(referral.status, sides)
    if successor is not None:
        actions.discard(Action.REASSIGN)
    return {
        "referral": referral, "forms": forms, "actions": actions,
        "sides": sides, "consent": (consent := service.get_consent_for(actor, referral.id)),
        "consent_in_force": service.consent_in_force(consent, referral, utcnow()),
        "history": service.list_history_for(actor, referral.id),
        "can_refer_elsewhere": referral.status in REFER_ELSEWHERE_FROM
        and "sender" in sides and successor is None,
        "successor": successor,
        "opened_by": db.session.get(User, referral.received_by_id)
        if referral.received_by_id else None,
        "capacity": service.capacity_of(referral.receiver_agency_id),
        **progress_views.page_context(actor, referral, forms["progress"]),
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


def _act(referral_id: int, name: str, call: Callable[[Any], Any], done: str) -> str | Response:
    """Validate the action's form, run the service call, and redirect or show the form again."""
    forms = f.action_forms()
    form = forms[name]
    if form.validate_on_submit():
        try:
            run_action(lambda: call(form))
        except DomainError as err:
            attach_error(form, err)
        else:
            flash(done, "success")
            return redirect(url_for("referrals.detail", referral_id=referral_id))
    else:
        flash(_("Please correct the highlighted fields."), "error")
    context = _detail_context(referral_id, forms)
    db.session.commit()
    return render_template("referrals/detail.html", open_form=name, **context)


def _actor_call(fn: Callable[..., Any], **kwargs: Any) -> Any:
    return fn(current_actor(), **kwargs)


@bp.post("/referrals/<int:referral_id>/accept")
@login_required
@require(Permission.REFERRAL_RESPOND)
def accept(referral_id: int) -> str | Response:
    return _act(referral_id, "accept", lambda form: _actor_call(
        service.accept_referral, referral_id=referral_id,
        assignee_user_id=form.assignee_user_id.data,
        overflow_reason=form.overflow_reason.data or "", text=form.text.data or ""),
        _("Referral accepted."))


@bp.post("/referrals/<int:referral_id>/decline")
@login_required
@require(Permission.REFERRAL_RESPOND)
def decline(referral_id: int) -> str | Response:
    return _act(referral_id, "decline", lambda form: _actor_call(
        service.decline_referral, referral_id=referral_id, reason_code=form.reason_code.data,
        text=form.text.data or ""), _("Referral declined. The sending agency is told."))


@bp.post("/referrals/<int:referral_id>/cancel")
@login_required
@require(Permission.REFERRAL_SEND)
def cancel(referral_id: int) -> str | Response:
    return _act(referral_id, "cancel", lambda form: _actor_call(
        service.cancel_referral, referral_id=referral_id, reason_code=form.reason_code.data,
        text=form.text.data or ""), _("Referral cancelled."))


@bp.post("/referrals/<int:referral_id>/entered-in-error")
@login_required
@require(Permission.REFERRAL_SEND)
def enter_in_error(referral_id: int) -> str | Response:
    return _act(referral_id, "enter_in_error", lambda form: _actor_call(
        service.enter_in_error, referral_id=referral_id, text=form.text.data or ""),
        _("Referral marked as sent by mistake. The receiving agency is told."))


@bp.post("/referrals/<int:referral_id>/start")
@login_required
@require(Permission.REFERRAL_RESPOND)
def start(referral_id: int) -> str | Response:
    return _act(referral_id, "start", lambda form: _actor_call(
        service.start_progress, referral_id=referral_id, text=form.text.data or ""),
        _("Work on the referral started."))


@bp.post("/referrals/<int:referral_id>/hold")
@login_required
@require(Permission.REFERRAL_RESPOND)
def hold(referral_id: int) -> str | Response:
    return _act(referral_id, "hold", lambda form: _actor_call(
        service.put_on_hold, referral_id=referral_id, reason_code=form.reason_code.data,
        review_at=f.end_of_local_day(form.review_at.data), text=form.text.data or ""),
        _("Referral put on hold."))


@bp.post("/referrals/<int:referral_id>/complete")
@login_required
@require(Permission.REFERRAL_RESPOND)
def complete(referral_id: int) -> str | Response:
    return _act(referral_id, "complete", lambda form: _actor_call(
        service.complete_referral, referral_id=referral_id, outcome=form.outcome.data,
        text=form.text.data or ""), _("Completion recorded. The sending agency sees the outcome."))


@bp.post("/referrals/<int:referral_id>/fail")
@login_required
@require(Permission.REFERRAL_RESPOND)
def fail(referral_id: int) -> str | Response:
    return _act(referral_id, "fail", lambda form: _actor_call(
        service.fail_referral, referral_id=referral_id, reason_code=form.reason_code.data,
        text=form.text.data or ""), _("Referral closed as failed."))


@bp.post("/referrals/<int:referral_id>/programme")
@login_required
@require(Permission.REFERRAL_RESPOND)
def programme(referral_id: int) -> str | Response:
    return _act(referral_id, "programme", lambda form: _actor_call(
        service.record_programme_event, referral_id=referral_id, kind=form.kind.data,
        note=form.text.data or ""), _("Programme progress recorded."))


@bp.post("/referrals/<int:referral_id>/consent/withdraw")
@login_required
@require(Permission.REFERRAL_SEND)
def withdraw_consent(referral_id: int) -> str | Response:
    return _act(referral_id, "withdraw_consent", lambda form: _actor_call(
        service.withdraw_consent, referral_id=referral_id, note=form.text.data or ""),
        _("Consent withdrawn. The receiving agency no longer sees the case data."))


@bp.post("/referrals/<int:referral_id>/consent/record")
@login_required
@require(Permission.REFERRAL_SEND)
def record_consent(referral_id: int) -> str | Response:
    return _act(referral_id, "record_consent", lambda form: _actor_call(
        service.record_consent, referral_id=referral_id, consent=service.ConsentInput(
            consented=True, categories=tuple(form.categories.data or ()),
            valid_until=f.end_of_local_day(form.consent_until.data))),
        _("Consent recorded. The receiving agency now sees what the survivor agreed to share."))


@bp.post("/referrals/<int:referral_id>/reassign")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def reassign(referral_id: int) -> str | Response:
    """A declined or expired referral is replaced by a new one: the page shown next is the
    new referral's."""
    forms = f.action_forms()
    form = forms["reassign"]
    if form.validate_on_submit():
        try:
            moved = run_action(lambda: service.reassign_referral(
                current_actor(), referral_id=referral_id,
                receiver_agency_id=form.receiver_agency_id.data or 0,
                text=form.text.data or ""))
        except DomainError as err:
            attach_error(form, err)
        else:
            flash(_("Referral reassigned."), "success")
            return redirect(url_for("referrals.detail", referral_id=moved.id))
    else:
        flash(_("Please correct the highlighted fields."), "error")
    context = _detail_context(referral_id, forms)
    db.session.commit()
    return render_template("referrals/detail.html", open_form="reassign", **context)


@bp.post("/referrals/<int:referral_id>/extend")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def extend(referral_id: int) -> str | Response:
    return _act(referral_id, "extend", lambda form: _actor_call(
        service.extend_deadline, referral_id=referral_id,
        deadline_at=f.local_to_utc(form.deadline_at.data), text=form.text.data or ""),
        _("Deadline extended."))


@bp.post("/referrals/<int:referral_id>/escalate")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def escalate(referral_id: int) -> str | Response:
    return _act(referral_id, "escalate", lambda form: _actor_call(
        service.escalate_referral, referral_id=referral_id, text=form.text.data or ""),
        _("Referral escalated."))


# --- directory ----------------------------------------------------------------------------------


@bp.get("/directory")
@login_required
@require(Permission.DIRECTORY_READ)
def directory() -> str:
    actor = current_actor()
    service_code = request.args.get("service") or None
    region_code = request.args.get("region") or None
    district_id = request.args.get("district", type=int)
    found = directory_service.list_directory(actor, service_code=service_code,
                                             region_code=region_code, district_id=district_id)
    audit.record("directory.view", object_type="directory",
                 details={"service": service_code, "region": region_code})
    db.session.commit()
    return render_template(
        "referrals/directory.html", directory=found, service_code=service_code,
        region_code=region_code, district_id=district_id, services=SERVICES,
        # Regions, the user's first, and the districts of the chosen region (else the user's),
        # grouped by region, in one statement (agencies.pickers).
        places=pickers.district_picker(actor, region_code=region_code, keep_id=district_id),
    )


from referral.referrals import progress_views  # noqa: E402  (its routes are on bp)
