"""Fetching one row the actor may see: missing and out of scope give the same NotVisible (404)."""

from __future__ import annotations

from typing import Any

from referral.access.scope import Actor, acting_as
from referral.errors import NotVisible
from referral.extensions import db


def fetch_visible(actor: Actor, stmt: Any, object_type: str, object_id: object) -> Any:
    """Run a one-row select as ``actor``; NotVisible when missing or out of scope alike."""
    with acting_as(actor):
        found = db.session.execute(stmt).unique().scalar_one_or_none()
    if found is None:
        raise NotVisible(object_type, object_id)
    return found
