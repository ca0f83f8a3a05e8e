"""Who sees which case: the rule, written once, applied to every query by referral.access.scope.

A user sees a case when
- their agency owns it, or the case is shared with their agency (an accepted referral, a granted
  access request: each source registers itself with ``register_case_sharing``), or
- they are a coordinator of the case's region;
A restricted case is seen only by the users named on it. Administrators see no case.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Select, and_, false, or_, select
from sqlalchemy.sql.elements import ColumnElement

from referral.access.permissions import Role
from referral.access.scope import Actor, register_scope
from referral.cases.models import Case, CaseMember

SharingSource = Callable[[Actor], Select[tuple[int]]]
_SHARING: list[SharingSource] = []


def register_case_sharing(source: SharingSource) -> SharingSource:
    """Add a source of case ids shared with the actor's agency (e.g. accepted referrals)."""
    _SHARING.append(source)
    return source


def _reach(actor: Actor) -> ColumnElement[bool]:
    if actor.role == Role.COORDINATOR:
        return Case.region_code.in_(sorted(actor.region_ids)) if actor.region_ids else false()
    if actor.role in (Role.OFFICER, Role.AGENCY_MANAGER) and actor.agency_id is not None:
        clauses = [Case.owner_agency_id == actor.agency_id]
        clauses += [Case.id.in_(source(actor)) for source in _SHARING]
        return or_(*clauses)
    return false()


@register_scope(Case)
def case_visible(actor: Actor) -> ColumnElement[bool]:
    if actor.role == Role.ADMINISTRATOR or actor.user_id is None:
        return false()
    named = select(CaseMember.case_id).where(CaseMember.user_id == actor.user_id)
    return or_(
        and_(Case.restricted.is_(False), _reach(actor)),
        and_(Case.restricted.is_(True), Case.id.in_(named)),
    )


# What parts of a case a user may read once they see it. Owners, coordinators of the region and
# named members read everything; an agency that sees the case through a referral reads only the
# categories the survivor consented to (sources register with ``register_category_source``).
DATA_CATEGORIES = ("identity_contact", "incident_details", "risk_assessment", "children")
CategorySource = Callable[[Actor, int], set[str]]
_CATEGORY_SOURCES: list[CategorySource] = []


def register_category_source(source: CategorySource) -> CategorySource:
    _CATEGORY_SOURCES.append(source)
    return source


def visible_categories(actor: Actor, case: Case) -> frozenset[str]:
    """The data categories of a (visible) case that ``actor`` may read."""
    full = frozenset(DATA_CATEGORIES)
    if actor.is_system or case.owner_agency_id == actor.agency_id:
        return full
    if actor.role == Role.COORDINATOR and case.region_code in actor.region_ids:
        return full
    found: set[str] = set()
    for source in _CATEGORY_SOURCES:
        found |= source(actor, case.id)
    return frozenset(found) & full


def visible_case_ids(actor: Actor) -> Select[tuple[int]]:
    return select(Case.id).where(case_visible(actor))


def scope_via_case(model: type) -> None:
    """Register a child model (with ``case_id``) as visible exactly when its case is."""

    @register_scope(model)
    def _rule(actor: Actor) -> ColumnElement[bool]:
        return model.case_id.in_(visible_case_ids(actor))  # type: ignore[attr-defined]
