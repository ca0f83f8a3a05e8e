"""Parts of the case page that other domains read in the page's own statement.

The case page has a budget of ten statements. The safety section and the legal hold each took
one of their own, though each is a row or two hanging off the case. A domain registers a
``register_case_page_read`` function (referral.cases.hooks) that joins its part into the
statement ``open_case_page`` runs, under the same condition as the case's people: only an actor
who reads every category of the case (its owner, the region's coordinators) gets it, and the
scope rules apply to the joined tables as to every statement. What was read is held for the
rest of the request, for that actor and case; for anyone else nothing is held, and the domain
reads its part itself as before (``held`` answers ``MISSING``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import g, has_request_context
from sqlalchemy import Select
from sqlalchemy.sql.elements import ColumnElement

from referral.access.scope import Actor
from referral.cases import hooks

MISSING = object()


def extend(actor: Actor, statement: Select[Any], whole: ColumnElement[bool]
           ) -> tuple[Select[Any], dict[str, Any]]:
    """The statement with every registered part joined in, and each part's reader by name."""
    readers: dict[str, Any] = {}
    for name, join in hooks.case_page_reads().items():
        joined = join(actor, statement, whole)
        if joined is not None:
            statement, readers[name] = joined
    return statement, readers


def keep(actor: Actor, case_id: int, readers: dict[str, Any], rows: Sequence[Any]) -> None:
    """Hold each part's value, read from ``rows``, for the rest of the request."""
    if has_request_context():
        held_now = g.setdefault("case_page_reads", {})
        held_now[(actor, case_id)] = {name: read(rows) for name, read in readers.items()}


def held(actor: Actor, case_id: int, name: str) -> Any:
    """The part read for ``actor`` with the case page's statement in this request, else
    ``MISSING`` (another actor in the same request reads it afresh, under their own scope)."""
    if not has_request_context():
        return MISSING
    return g.get("case_page_reads", {}).get((actor, case_id), {}).get(name, MISSING)
