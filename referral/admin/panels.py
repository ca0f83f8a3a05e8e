"""Home panels for administrators and agency managers (no case content)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from referral.access.permissions import Role
from referral.access.scope import Actor
from referral.accounts.models import User
from referral.agencies.models import Agency
from referral.extensions import db
from referral.home.panels import register_panel


@register_panel("admin_overview", template="home/_admin_overview.html",
                roles={Role.ADMINISTRATOR}, order=10)
def _admin_overview(actor: Actor) -> dict[str, Any]:
    users = db.session.execute(select(func.count()).select_from(User)).scalar_one()
    agencies = db.session.execute(
        select(func.count()).select_from(Agency).where(Agency.is_active.is_(True))
    ).scalar_one()
    return {"user_count": users, "agency_count": agencies}


@register_panel("agency_team", template="home/_agency_team.html",
                roles={Role.AGENCY_MANAGER}, order=80)
def _agency_team(actor: Actor) -> dict[str, Any]:
    users = db.session.execute(
        select(User).where(User.agency_id == actor.agency_id).order_by(User.full_name)
    ).scalars().all()
    return {"team": users}
