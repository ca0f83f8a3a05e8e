"""Checks shared by the coordination services: who coordinates which region, and local days."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import wraps
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from referral.access.permissions import Permission, Role, role_can
from referral.access.scope import Actor, acting_as
from referral.errors import NotVisible
from referral.extensions import db


def require_coordinator(actor: Actor, object_type: str = "coordination") -> None:
    """Coordinators only; anyone else gets the same answer as for a missing record."""
    if not role_can(actor.role, Permission.REFERRAL_COORDINATE) or not actor.region_ids:
        raise NotVisible(object_type, None)


def is_coordinator(actor: Actor) -> bool:
    return actor.role == Role.COORDINATOR and bool(actor.region_ids)


def regions_for(actor: Actor, wanted: str | None = None) -> list[str]:
    """The actor's regions, or the one asked for if it is theirs (otherwise NotVisible)."""
    require_coordinator(actor)
    if wanted:
        if wanted not in actor.region_ids:
            raise NotVisible("region", wanted)
        return [wanted]
    return sorted(actor.region_ids)


def display_zone() -> ZoneInfo:
    name = "Asia/Almaty"
    if has_app_context():
        name = current_app.config.get("DISPLAY_TIMEZONE", name)
    return ZoneInfo(name)


def local_today(now: datetime) -> date:
    return now.astimezone(display_zone()).date()


def int_ids(values: Iterable[object]) -> list[int]:
    return sorted({int(v) for v in values if v not in (None, "")})  # type: ignore[call-overload]


def fetch_visible(actor: Actor, stmt: Any, object_type: str, object_id: object) -> Any:
    """Run a one-row select as ``actor``; NotVisible when missing or out of scope alike."""
    with acting_as(actor):
        found = db.session.execute(stmt).unique().scalar_one_or_none()
    if found is None:
        raise NotVisible(object_type, object_id)
    return found


F = TypeVar("F", bound=Callable[..., Any])


def as_actor(fn: F) -> F:
    """Run a service with its actor (first argument) as the scope of every query and the author
    of every audit row, whether it is called from a request, a job or a test."""

    @wraps(fn)
    def wrapped(actor: Actor, *args: Any, **kwargs: Any) -> Any:
        with acting_as(actor):
            return fn(actor, *args, **kwargs)

    return wrapped  # type: ignore[return-value]
