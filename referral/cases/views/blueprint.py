"""The cases Blueprint, its menu entries, and what every case page's templates may call."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from referral.access.permissions import Permission
from referral.access.scope import current_actor
from referral.cases import emergency, people
from referral.cases import service as cases
from referral.cases.forms import EmergencyAccessForm
from referral.cases.models import CASE_STATUS_LABELS, RISK_LEVEL_LABELS, CaseParticipant
from referral.web.nav import add_nav

bp = Blueprint("cases", __name__, url_prefix="/cases")
add_nav("cases.index", _l("Cases"), Permission.CASE_READ, 10)
add_nav("cases.access_request_list", _l("Access requests"), Permission.ACCESS_REQUEST_DECIDE, 15)
add_nav("cases.offences", _l("Offences"), Permission.REFERENCE_DATA_MANAGE, 86)


@bp.app_context_processor
def _case_helpers() -> dict[str, Any]:
    def case_safe_contacts(case: Any) -> list[CaseParticipant]:
        return people.safe_contacts_for_case(current_actor(), case.id)

    def case_status_label(code: str) -> str:
        return str(CASE_STATUS_LABELS.get(code, code))  # type: ignore[call-overload]

    def risk_level_label(code: str) -> str:
        return str(RISK_LEVEL_LABELS.get(code, code))  # type: ignore[call-overload]

    return {"case_safe_contacts": case_safe_contacts, "case_status_label": case_status_label,
            "risk_level_label": risk_level_label, "closed_reasons": cases.CLOSED_REASONS}


@bp.app_context_processor
def _emergency_helpers() -> dict[str, Any]:
    def emergency_offer(term: str | None) -> EmergencyAccessForm | None:
        """The break-the-glass form under a search by exact IIN or reference, for those who
        may use it (None otherwise)."""
        if not term or emergency._kind_of(term) is None or not current_user.is_authenticated:
            return None
        if not emergency.may_use(current_actor()):
            return None
        form = EmergencyAccessForm(formdata=None)
        form.term.data = term.strip()
        return form

    def emergency_to_review() -> list[emergency.ReviewRow]:
        return emergency.list_for_review(current_actor())

    return {"emergency_offer": emergency_offer, "emergency_to_review": emergency_to_review,
            "emergency_hours": lambda: int(emergency.duration().total_seconds() // 3600)}


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
