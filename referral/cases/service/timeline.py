"""A case's timeline: one line per thing that happened, ids and codes only (text is rendered
on display, referral.cases.timeline)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from referral.access import scoped
from referral.access.scope import Actor, acting_as
from referral.cases.models import Case, TimelineEntry
from referral.cases.scope import DATA_CATEGORIES, visible_categories
from referral.extensions import db


@scoped
def add_timeline_entry(actor: Actor | None, case_id: int, kind: str, *,
                       category: str | None = None, object_type: str | None = None,
                       object_id: int | None = None, **data: int | str | None) -> TimelineEntry:
    """Add one line to a case's timeline (other domains may call this too). Ids and codes only."""
    entry = TimelineEntry(**timeline_values(actor, case_id, kind, category=category,
                                            object_type=object_type, object_id=object_id, **data))
    db.session.add(entry)
    db.session.flush()
    return entry


def timeline_values(actor: Actor | None, case_id: int, kind: str, *,
                    category: str | None = None, object_type: str | None = None,
                    object_id: int | None = None, **data: int | str | None) -> dict[str, Any]:
    """A timeline line's column values: for callers that insert many lines in one statement."""
    return {"case_id": case_id, "kind": kind, "category": category, "object_type": object_type,
            "object_id": object_id, "data": dict(data),
            "actor_user_id": actor.user_id if actor else None,
            "actor_agency_id": actor.agency_id if actor else None}


@scoped
def list_timeline(actor: Actor, case: Case, *, limit: int = 200) -> list[TimelineEntry]:
    """Newest first; only entries of the data categories the actor reads."""
    categories = visible_categories(actor, case)
    allowed: list[str | None] = [*categories, "notes"] if categories == frozenset(
        DATA_CATEGORIES) else list(categories)
    with acting_as(actor):
        query = select(TimelineEntry).where(
            TimelineEntry.case_id == case.id,
            or_(TimelineEntry.category.is_(None), TimelineEntry.category.in_(allowed)),
        ).order_by(TimelineEntry.at.desc(), TimelineEntry.id.desc()).limit(limit)
        return list(db.session.execute(query).scalars())
