"""The send form: a referral from a case, or a new one for a referral that ended unanswered."""

from __future__ import annotations

import secrets

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, require
from referral.access.scope import current_actor
from referral.agencies import pickers
from referral.cases import service as cases_service
from referral.cases.models import Case
from referral.extensions import db
from referral.referrals import forms as f
from referral.referrals import service
from referral.referrals.models import Referral
from referral.referrals.views.blueprint import bp
from referral.web.submit import submit_form


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


def _prepare(form: f.SendReferralForm, case: Case, previous: Referral | None) -> str | None:
    """Fill the choices and, on first showing, the defaults; the service chosen, if any."""
    service_code = request.args.get("service") or form.service_code.data or (
        previous.service_code if previous else None)
    _send_form_choices(form, service_code, case.id)
    if not form.is_submitted():
        form.token.data = secrets.token_urlsafe(24)
        form.urgency.data = service.default_urgency(case.risk_level)
        form.service_code.data = service_code or ""
        if previous is not None:
            form.reason.data, form.need_to_know.data = previous.reason, previous.need_to_know
    return service_code


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


def _sent_page(referral: Referral) -> str:
    """Where a sent referral goes: its own page, with its reference in the message."""
    flash(_("Referral %(ref)s sent.", ref=referral.reference), "success")
    return url_for("referrals.detail", referral_id=referral.id)


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
    service_code = _prepare(form, case, previous)
    sent = submit_form(form, lambda: service.send_referral(
        actor, data=_referral_input(form, case_id, previous_id)), done=_sent_page)
    if sent is not None:
        return sent
    db.session.commit()
    return render_template("referrals/new.html", form=form, case=case, previous=previous,
                           service_code=service_code, deadlines=service.deadline_labels())
