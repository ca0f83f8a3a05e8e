"""Safety plan pages: make or review a plan (a new version), read any version, print one for
the survivor in the language they read; and the helpers the case page, the call-back prompts and
the coordinator's review include."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, require
from referral.access.scope import current_actor
from referral.cases import service as cases
from referral.cases.views import render_and_commit
from referral.safety import service, status
from referral.safety.forms import PARTNER_CHOICES, PlanForm, PrintForm
from referral.safety.models import PLAN_FIELDS
from referral.safety.policy import current as current_policy
from referral.web.forms import form_int
from referral.web.submit import submit_form

bp = Blueprint("safety", __name__, url_prefix="/safety")


@bp.route("/survivors/<int:participant_id>/plan", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def plan_form(participant_id: int) -> str | Response:
    actor = current_actor()
    case, participant = service.survivor_for_plan(actor, participant_id, writing=True)
    current = service.current_plan(actor, participant_id)
    form = PlanForm() if request.method == "POST" else PlanForm(obj=current)
    if not form.is_submitted():
        form.based_on.data = str(current.id) if current else ""
    done = submit_form(form, lambda: service.save_plan(
        actor, participant_id, _input(form), based_on=form_int(form.based_on.data)),
        done=lambda plan: url_for("safety.plan", plan_id=plan.id),
        message=_("Safety plan saved."))
    return done or render_and_commit("safety/plan_form.html", form=form, case=case,
                                     participant=participant, current=current)


def _input(form: PlanForm) -> service.PlanInput:
    texts = {name: form[name].data or "" for name in PLAN_FIELDS}
    return service.PlanInput(**texts, text_allowed=bool(form.text_allowed.data),
                             voicemail_allowed=bool(form.voicemail_allowed.data),
                             partner_knows=form.partner_knows.data or "unknown")


@bp.get("/plans/<int:plan_id>")
@login_required
@require(Permission.CASE_READ)
def plan(plan_id: int) -> str:
    actor = current_actor()
    found = service.get_plan_for(actor, plan_id)
    case, participant = service.survivor_for_plan(actor, found.participant_id)
    return render_and_commit("safety/plan.html", plan=found, case=case, participant=participant,
                             versions=service.versions(actor, found.participant_id),
                             print_form=PrintForm(formdata=None, lang=_ui_language()),
                             survivors=[participant], partner=dict(PARTNER_CHOICES),
                             can_review=cases.can_contribute(actor, case, "risk_assessment"))


@bp.get("/plans/<int:plan_id>/print")
@login_required
@require(Permission.CASE_READ)
def print_plan(plan_id: int) -> str:
    """Nothing of the case but the plan: no reference, no names, no IIN, no address; the plan's
    words in the language the survivor reads, the page around it in the user's."""
    found = service.get_plan_for(current_actor(), plan_id, purpose="print")
    form = PrintForm(request.args)
    lang = form.lang.data if form.validate() else _ui_language()
    form.lang.data = lang
    with force_locale(lang):
        body = render_template("safety/_printout.html", plan=found, lang=lang,
                               partner=dict(PARTNER_CHOICES))
    # The printout is a rendered template: Jinja escaped everything typed into the plan.
    return render_and_commit("safety/print.html", form=form, plan=found,
                             body=Markup(body))  # noqa: S704


def _ui_language() -> str:
    code = str(get_locale() or "ru")[:2]
    return code if code in service.PRINT_LANGUAGES else "ru"


@bp.app_context_processor
def _safety_helpers() -> dict[str, Any]:
    def safety_for(case: Any) -> status.CaseSafety:
        """Read once per request and case, whichever include asks first."""
        cache = g.setdefault("safety_for", {})
        if case.id not in cache:
            cache[case.id] = status.case_safety(current_actor(), case)
        return cache[case.id]

    def safety_overdue(region_code: str | None = None) -> dict[str, Any]:
        return status.region_overdue(current_actor(), region_code=region_code or None,
                                     limit=50)

    return {"safety_for": safety_for, "safety_overdue": safety_overdue,
            "reassessment_policy": current_policy}
