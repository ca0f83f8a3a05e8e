"""Who coordinates which region: the check every coordination service starts with."""

from __future__ import annotations

from referral.access.permissions import Permission, role_can
from referral.access.scope import Actor
from referral.errors import NotVisible


def require_coordinator(actor: Actor, object_type: str = "coordination") -> None:
    """Coordinators only; anyone else gets the same answer as for a missing record."""
    if not role_can(actor.role, Permission.REFERRAL_COORDINATE) or not actor.region_ids:
        raise NotVisible(object_type, None)


def regions_for(actor: Actor, wanted: str | None = None) -> list[str]:
    """The actor's regions, or the one asked for if it is theirs (otherwise NotVisible)."""
    require_coordinator(actor)
    if wanted:
        if wanted not in actor.region_ids:
            raise NotVisible("region", wanted)
        return [wanted]
    return sorted(actor.region_ids)
