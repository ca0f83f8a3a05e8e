"""Home panels: the overdue review for coordinators, conference actions for agencies."""

from __future__ import annotations

from typing import Any

from referral.access.permissions import Role
from referral.access.scope import Actor
from referral.coordination.local_time import local_today
from referral.coordination.service import actions, conferences, review
from referral.home.panels import register_panel
from referral.models_base import utcnow


@register_panel("coordination_review", template="coordination/_panel_review.html",
                roles={Role.COORDINATOR}, order=5)
def review_panel(actor: Actor) -> dict[str, Any]:
    if not actor.region_ids:
        return {"review": None, "upcoming": []}
    found = review.overdue_review(actor, rows=0)  # the panel shows the counts only
    upcoming = [c for c in conferences.list_conferences_for(actor, limit=20)
                if c.scheduled_at >= utcnow() and c.status == "scheduled"]
    return {"review": found, "upcoming": sorted(upcoming, key=lambda c: c.scheduled_at)[:3]}


@register_panel("conference_actions", template="coordination/_panel_actions.html",
                roles={Role.OFFICER, Role.AGENCY_MANAGER}, order=15)
def actions_panel(actor: Actor) -> dict[str, Any]:
    return {"actions": actions.list_agency_actions(actor, limit=10),
            "today": local_today(utcnow())}
