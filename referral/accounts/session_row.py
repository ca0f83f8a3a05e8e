"""The session, its user and the user's agency and regions as one plain row (every logged-in
request reads it first).

Loading three entities and a collection through the ORM cost most of an empty page's time (the
row processing, the joined-eager de-duplication, the scope listener walking the statement for
scoped tables): here one prebuilt statement runs on the session's connection and returns a row
of columns, and the user and agency are built from it as persistent objects of the request's
session (``persistent_from_row``), as if the ORM had loaded them. Whether a session counts is
decided exactly as before (``referral.accounts.sessions``).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, Table, bindparam, func, select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.elements import ColumnElement

from referral.access.scope import scoped_tables_read
from referral.accounts.models import User, UserSession, coordinator_regions
from referral.agencies.models import Agency, Region

SESSION_FIELDS = ("id", "user_id", "created_at", "last_seen_at", "revoked_at")
_USERS: Table = User.__table__  # type: ignore[assignment]
_AGENCIES: Table = Agency.__table__  # type: ignore[assignment]
_SESSIONS: Table = UserSession.__table__  # type: ignore[assignment]


@lru_cache(maxsize=8)
def statement(extra: tuple[ColumnElement[Any], ...]) -> Select[Any]:
    """The one statement: the session's fields, every column of its user and agency, the
    coordinator's region codes, and ``extra`` (the registered per-request values), labelled
    ``s_*``, ``u_*``, ``a_*``, ``regions`` and as given."""
    regions = (select(func.aggregate_strings(coordinator_regions.c.region_code, ","))
               .where(coordinator_regions.c.user_id == _USERS.c.id)
               .scalar_subquery().label("regions"))
    query = (select(*[_SESSIONS.c[name].label(f"s_{name}") for name in SESSION_FIELDS],
                    *[column.label(f"u_{column.key}") for column in _USERS.c],
                    *[column.label(f"a_{column.key}") for column in _AGENCIES.c],
                    regions, *extra)
             .select_from(_SESSIONS)
             .join(_USERS, _USERS.c.id == _SESSIONS.c.user_id)
             .join(_AGENCIES, _AGENCIES.c.id == _USERS.c.agency_id)
             .where(_SESSIONS.c.token_hash == bindparam("token_hash")))
    _refuse_scoped_tables(query)
    return query


def _refuse_scoped_tables(query: Select[Any]) -> None:
    """The statement runs before there is an actor and outside the ORM's scope listener: it
    must read no scoped table (a per-request value that did would leak rows)."""
    found = scoped_tables_read(query)
    if found:
        raise RuntimeError(f"the session statement reads scoped tables: {found}")


def read(session: Session, token_hash: str,
         extra: tuple[ColumnElement[Any], ...]) -> Mapping[str, Any] | None:
    """The session's row by its token's hash, or None."""
    found = session.connection().execute(statement(extra), {"token_hash": token_hash}).first()
    return None if found is None else found._mapping


def persistent_from_row(session: Session, row: Mapping[str, Any]) -> User:
    """The row's user (with its agency and regions) as persistent objects of ``session``: the
    same state a query would have loaded, none of it marked changed. A user or agency already
    in the session is used as it is."""
    user_key = session.identity_key(User, (row["u_id"],))
    if user_key in session.identity_map:
        return session.identity_map[user_key]  # type: ignore[return-value]
    agency = _persistent(session, Agency, _AGENCIES, row, "a_")
    user = _instance(User, _USERS, row, "u_")
    set_committed_value(user, "agency", agency)
    codes = row["regions"].split(",") if row["regions"] else []
    set_committed_value(user, "regions", [_region(session, code) for code in sorted(codes)])
    make_transient_to_detached(user)
    session.add(user)
    return user


def _instance(model: type, table: Table, row: Mapping[str, Any], prefix: str) -> Any:
    obj = model.__mapper__.class_manager.new_instance()  # type: ignore[attr-defined]
    mapper = model.__mapper__  # type: ignore[attr-defined]
    for column in table.c:
        set_committed_value(obj, mapper.get_property_by_column(column).key,
                            row[f"{prefix}{column.key}"])
    return obj


def _persistent(session: Session, model: type, table: Table, row: Mapping[str, Any],
                prefix: str) -> Any:
    key = session.identity_key(model, (row[f"{prefix}id"],))
    if key in session.identity_map:
        return session.identity_map[key]
    obj = _instance(model, table, row, prefix)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def _region(session: Session, code: str) -> Region:
    """A region by its code; its names load if something reads them (nothing on most pages)."""
    key = session.identity_key(Region, (code,))
    if key in session.identity_map:
        return session.identity_map[key]  # type: ignore[return-value]
    region = Region.__mapper__.class_manager.new_instance()
    set_committed_value(region, "code", code)
    make_transient_to_detached(region)
    session.add(region)
    return region
