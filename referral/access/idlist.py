"""``column IN (subquery)`` that PostgreSQL can answer by index inside an ``OR``.

A rule like "in my region, or restricted and naming me" is an ``OR`` of two branches. PostgreSQL
combines index scans for an ``OR`` only when every branch is an index condition; ``id IN
(SELECT …)`` is a join, not one, so the named branch would lead with ``restricted = true`` and
every coordinator query would read all restricted cases of the nation to keep the two or three
naming the reader. ``id = ANY(ARRAY(SELECT …))`` is an index
condition: the subquery runs once, and its few ids are looked up by primary key.
Other databases get the plain ``IN``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ARRAY, Select, any_, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import Boolean

from referral.extensions import db


class InIdList(ColumnElement[bool]):
    """``column`` is one of the ids ``ids`` selects (one column)."""

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [("column", visitors.InternalTraversal.dp_clauseelement),
                           ("ids", visitors.InternalTraversal.dp_clauseelement)]

    def __init__(self, column: ColumnElement[Any], ids: Select[Any]) -> None:
        self.column = column
        self.ids = ids


def in_id_list(column: ColumnElement[Any], ids: Select[Any]) -> ColumnElement[bool]:
    return InIdList(column, ids)


@compiles(InIdList)
def _in(element: InIdList, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column.in_(element.ids), **kw)


@compiles(InIdList, "postgresql")
def _any_array(element: InIdList, compiler: Any, **kw: Any) -> str:
    ids = compiler.process(element.ids.scalar_subquery(), **kw)
    return f"{compiler.process(element.column, **kw)} = ANY(ARRAY{ids})"


def in_values(column: ColumnElement[Any], values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN (values)`` for a list of values known in Python (ids of a batch).

    On PostgreSQL one array parameter, ``column = ANY(%(ids)s)``: a batch of 500 ids written as
    500 placeholders makes a statement of 13,000 characters that psycopg and PostgreSQL parse
    again on every run, and the minute sweep sends a dozen. Elsewhere the
    plain ``IN``.
    """
    found = list(values)
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, found, type_=ARRAY(column.type)))
    return column.in_(found)
