"""The actions on one referral's page: each a form posted to its own URL (``detail.act``)."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, require
from referral.access.scope import current_actor
from referral.referrals import forms as f
from referral.referrals import progress, service
from referral.referrals.views.blueprint import bp
from referral.referrals.views.detail import act


@bp.post("/referrals/<int:referral_id>/accept")
@login_required
@require(Permission.REFERRAL_RESPOND)
def accept(referral_id: int) -> str | Response:
    return act(referral_id, "accept", lambda form: service.accept_referral(
        current_actor(), referral_id=referral_id, assignee_user_id=form.assignee_user_id.data,
        overflow_reason=form.overflow_reason.data or "", text=form.text.data or ""),
        _("Referral accepted."))


@bp.post("/referrals/<int:referral_id>/decline")
@login_required
@require(Permission.REFERRAL_RESPOND)
def decline(referral_id: int) -> str | Response:
    return act(referral_id, "decline", lambda form: service.decline_referral(
        current_actor(), referral_id=referral_id, reason_code=form.reason_code.data,
        text=form.text.data or ""), _("Referral declined. The sending agency is told."))


@bp.post("/referrals/<int:referral_id>/cancel")
@login_required
@require(Permission.REFERRAL_SEND)
def cancel(referral_id: int) -> str | Response:
    return act(referral_id, "cancel", lambda form: service.cancel_referral(
        current_actor(), referral_id=referral_id, reason_code=form.reason_code.data,
        text=form.text.data or ""), _("Referral cancelled."))


@bp.post("/referrals/<int:referral_id>/entered-in-error")
@login_required
@require(Permission.REFERRAL_SEND)
def enter_in_error(referral_id: int) -> str | Response:
    return act(referral_id, "enter_in_error", lambda form: service.enter_in_error(
        current_actor(), referral_id=referral_id, text=form.text.data or ""),
        _("Referral marked as sent by mistake. The receiving agency is told."))


@bp.post("/referrals/<int:referral_id>/start")
@login_required
@require(Permission.REFERRAL_RESPOND)
def start(referral_id: int) -> str | Response:
    return act(referral_id, "start", lambda form: service.start_progress(
        current_actor(), referral_id=referral_id, text=form.text.data or ""),
        _("Work on the referral started."))


@bp.post("/referrals/<int:referral_id>/hold")
@login_required
@require(Permission.REFERRAL_RESPOND)
def hold(referral_id: int) -> str | Response:
    return act(referral_id, "hold", lambda form: service.put_on_hold(
        current_actor(), referral_id=referral_id, reason_code=form.reason_code.data,
        review_at=f.end_of_local_day(form.review_at.data), text=form.text.data or ""),
        _("Referral put on hold."))


@bp.post("/referrals/<int:referral_id>/complete")
@login_required
@require(Permission.REFERRAL_RESPOND)
def complete(referral_id: int) -> str | Response:
    return act(referral_id, "complete", lambda form: service.complete_referral(
        current_actor(), referral_id=referral_id, outcome=form.outcome.data,
        text=form.text.data or ""), _("Completion recorded. The sending agency sees the outcome."))


@bp.post("/referrals/<int:referral_id>/fail")
@login_required
@require(Permission.REFERRAL_RESPOND)
def fail(referral_id: int) -> str | Response:
    return act(referral_id, "fail", lambda form: service.fail_referral(
        current_actor(), referral_id=referral_id, reason_code=form.reason_code.data,
        text=form.text.data or ""), _("Referral closed as failed."))


@bp.post("/referrals/<int:referral_id>/programme")
@login_required
@require(Permission.REFERRAL_RESPOND)
def programme(referral_id: int) -> str | Response:
    return act(referral_id, "programme", lambda form: service.record_programme_event(
        current_actor(), referral_id=referral_id, kind=form.kind.data,
        note=form.text.data or ""), _("Programme progress recorded."))


@bp.post("/referrals/<int:referral_id>/consent/withdraw")
@login_required
@require(Permission.REFERRAL_SEND)
def withdraw_consent(referral_id: int) -> str | Response:
    return act(referral_id, "withdraw_consent", lambda form: service.withdraw_consent(
        current_actor(), referral_id=referral_id, note=form.text.data or ""),
        _("Consent withdrawn. The receiving agency no longer sees the case data."))


@bp.post("/referrals/<int:referral_id>/consent/record")
@login_required
@require(Permission.REFERRAL_SEND)
def record_consent(referral_id: int) -> str | Response:
    return act(referral_id, "record_consent", lambda form: service.record_consent(
        current_actor(), referral_id=referral_id, consent=service.ConsentInput(
            consented=True, categories=tuple(form.categories.data or ()),
            valid_until=f.end_of_local_day(form.consent_until.data))),
        _("Consent recorded. The receiving agency now sees what the survivor agreed to share."))


@bp.post("/referrals/<int:referral_id>/reassign")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def reassign(referral_id: int) -> str | Response:
    """A declined or expired referral is replaced by a new one: the page shown next is the
    new referral's."""
    return act(referral_id, "reassign", lambda form: service.reassign_referral(
        current_actor(), referral_id=referral_id,
        receiver_agency_id=form.receiver_agency_id.data or 0, text=form.text.data or ""),
        _("Referral reassigned."),
        done=lambda moved: url_for("referrals.detail", referral_id=moved.id))


@bp.post("/referrals/<int:referral_id>/extend")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def extend(referral_id: int) -> str | Response:
    return act(referral_id, "extend", lambda form: service.extend_deadline(
        current_actor(), referral_id=referral_id,
        deadline_at=f.local_to_utc(form.deadline_at.data), text=form.text.data or ""),
        _("Deadline extended."))


@bp.post("/referrals/<int:referral_id>/escalate")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def escalate(referral_id: int) -> str | Response:
    return act(referral_id, "escalate", lambda form: service.escalate_referral(
        current_actor(), referral_id=referral_id, text=form.text.data or ""),
        _("Referral escalated."))


@bp.post("/referrals/<int:referral_id>/progress-notes")
@login_required
@require(Permission.CASE_READ)
def add_progress_note(referral_id: int) -> str | Response:
    return act(referral_id, "progress", lambda form: progress.add_progress_note(
        current_actor(), referral_id=referral_id, text=form.text.data or "",
        corrects_id=form.corrects_id.data), _("Progress note added."))
