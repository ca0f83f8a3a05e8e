"""Home panels: an agency's cases due for risk re-assessment, a coordinator's overdue ones."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from referral.access.permissions import Role
from referral.access.scope import Actor
from referral.home.panels import register_panel
from referral.safety import status


@register_panel("reassessment_due", template="safety/_panel_due.html",
                roles={Role.OFFICER, Role.AGENCY_MANAGER}, order=7)
def _agency_due(actor: Actor) -> dict[str, Any]:
    return {**status.agency_due(actor), "title": _("Risk re-assessments due"),
            "empty": _("No risk re-assessment due in the next three days.")}


@register_panel("reassessment_overdue", template="safety/_panel_due.html",
                roles={Role.COORDINATOR}, order=7)
def _region_overdue(actor: Actor) -> dict[str, Any]:
    return {**status.region_overdue(actor), "title": _("Risk re-assessments overdue"),
            "empty": _("No risk re-assessment is overdue.")}
