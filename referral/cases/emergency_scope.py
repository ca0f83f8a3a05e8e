"""Who sees emergency-access grants, and what a live grant opens (read-only).

A grant opens its case to the one user who asked, until ``ends_at``: the time is compared when
each statement runs (a bound parameter computed at execution), never when the rule was built,
because built rules are cached per actor (referral.access.scope). Restricted cases never open
this way: the case rule keeps its shared branch to unrestricted cases.
"""

from __future__ import annotations

from sqlalchemy import Select, bindparam, false, or_, select
from sqlalchemy.sql.elements import ColumnElement

from referral.access.permissions import Role
from referral.access.scope import Actor, register_scope
from referral.cases.emergency_models import EmergencyAccess
from referral.cases.models import Case
from referral.cases.sharing import (
    DATA_CATEGORIES,
    register_category_source,
    register_read_only_sharing,
)
from referral.extensions import db
from referral.models_base import UTCDateTime, utcnow

_grants = EmergencyAccess.__table__
_cases = Case.__table__


def _now() -> ColumnElement:
    """The current time, read when the statement executes (cached rules stay correct)."""
    return bindparam("emergency_now", callable_=utcnow, type_=UTCDateTime())


def live_grant_ids(user_id: int | None) -> Select[tuple[int]]:
    """Case ids the user holds a running grant for."""
    return select(_grants.c.case_id).where(_grants.c.user_id == user_id,
                                           _grants.c.ends_at > _now())


@register_read_only_sharing
def _emergency_cases(actor: Actor) -> Select[tuple[int]]:
    return live_grant_ids(actor.user_id)


def _emergency_categories(actor: Actor, case_id: int) -> set[str]:
    """Everything a survivor's safety may hang on in an emergency: every category, to read."""
    found = db.session.execute(
        live_grant_ids(actor.user_id).where(_grants.c.case_id == case_id).limit(1)).first()
    return set(DATA_CATEGORIES) if found else set()


register_category_source(_emergency_categories, read_only=True)


@register_scope(EmergencyAccess)
def emergency_access_visible(actor: Actor) -> ColumnElement[bool]:
    """The officer sees their own grants; the owning agency's managers and the coordinators of
    the case's region see the grants on its cases. Nobody else (default deny)."""
    if actor.user_id is None:
        return false()
    if actor.role == Role.COORDINATOR and actor.region_ids:
        return EmergencyAccess.case_id.in_(select(_cases.c.id).where(
            _cases.c.region_code.in_(sorted(actor.region_ids))))
    if actor.role == Role.AGENCY_MANAGER and actor.agency_id is not None:
        return or_(EmergencyAccess.user_id == actor.user_id,
                   EmergencyAccess.case_id.in_(select(_cases.c.id).where(
                       _cases.c.owner_agency_id == actor.agency_id)))
    if actor.role == Role.OFFICER:
        return EmergencyAccess.user_id == actor.user_id
    return false()
