"""Row scoping: every ORM query for protected records is filtered for the current actor.

Default-deny: every model declares ``__scoped__ = True`` and registers one rule with
``register_scope``, or says why its rows need no scope with ``__unscoped__ = "why"`` (checked
at start-up). The ``do_orm_execute`` listener below adds the rule to every SELECT, UPDATE and
DELETE through the ORM session (SQLAlchemy's ``with_loader_criteria`` recipe). With no actor
set, a query touching a scoped model raises ``ScopeMissing``: a forgotten check fails loudly
instead of leaking rows.
Background jobs and CLI commands act as ``system_actor(reason)``, which is explicit and greppable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.util import find_tables

from referral.access.criteria import ScopeCriteria


class ScopeMissing(RuntimeError):
    """A scoped model was queried with no actor: a programming error, never user input."""


@dataclass(frozen=True)
class Actor:
    """Who is asking: enough to scope rows without touching the session or request."""

    user_id: int | None
    agency_id: int | None
    role: str
    region_ids: frozenset[str] = field(default_factory=frozenset)
    system_reason: str | None = None
    # Whether the user is named on any restricted case, when known (read with the session):
    # False lets every rule drop its "or restricted and naming the user" branch, an OR that
    # keeps PostgreSQL from reading a coordinator's case list in index order.
    # Dropping it can only hide rows, never show more; see ``knows_named_on_no_sealed_case``.
    named_on_sealed: bool | None = None

    @property
    def is_system(self) -> bool:
        return self.system_reason is not None


def system_actor(reason: str) -> Actor:
    """An actor that sees every row: only for jobs, commands and deliberate cross-scope checks."""
    if not reason:
        raise ValueError("a system actor needs a reason")
    return Actor(user_id=None, agency_id=None, role="system", system_reason=reason)


_current: ContextVar[Actor | None] = ContextVar("referral_actor", default=None)

# The name under which the session statement reads ``Actor.named_on_sealed`` (registered by the
# cases package with referral.accounts.sessions.register_session_column).
NAMED_ON_SEALED = "named_on_sealed"

SessionValueReader = Callable[[str, int], Any | None]


def _no_session_value(_name: str, _user_id: int) -> Any | None:
    return None


_session_value: list[SessionValueReader] = [_no_session_value]


def set_session_value_reader(reader: SessionValueReader) -> None:
    """Where values read with the request's session come from (the accounts package registers
    its reader), so this core module imports no domain. Until one is set, no value is held and
    the rules keep every branch: the safe side."""
    _session_value[0] = reader


def knows_named_on_no_sealed_case(actor: Actor) -> bool:
    """True when the rules may leave out the actor's named restricted cases: the actor says the
    user is named on none, and the request still holds that value as its session read it (a
    write that names users or restricts a case forgets it, see referral.cases.scope; a job or
    a test without a session never holds it)."""
    if actor.named_on_sealed is not False or actor.user_id is None:
        return False
    held = _session_value[0](NAMED_ON_SEALED, actor.user_id)
    return held is not None and not held


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    """Run the enclosed code with ``actor`` as the scope of every query."""
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


def set_request_actor(actor: Actor | None) -> None:
    """Set the actor for the rest of a request (reset by the request teardown)."""
    _current.set(actor)


def current_actor() -> Actor:
    actor = _current.get()
    if actor is None:
        raise ScopeMissing("no actor is set for this query")
    return actor


def optional_actor() -> Actor | None:
    return _current.get()


ScopeRule = Callable[[Actor], ColumnElement[bool]]
_RULES: dict[type, ScopeRule] = {}


def register_scope(model: type) -> Callable[[ScopeRule], ScopeRule]:
    """Register the one visibility rule of a scoped model."""

    def decorator(rule: ScopeRule) -> ScopeRule:
        if model in _RULES:
            raise RuntimeError(f"{model.__name__} already has a scope rule")
        _RULES[model] = rule
        clear_rule_cache()
        return rule

    return decorator


def scoped_models() -> dict[type, ScopeRule]:
    return dict(_RULES)


def check_every_scoped_model_has_a_rule(models: list[type]) -> None:
    """Called at start-up: scoping is default-deny, so a model must say which side it is on.

    Each mapped model declares ``__scoped__ = True`` (and registers a rule) or
    ``__unscoped__ = "why its rows need no row scope"``. A model with neither, with both, or
    scoped without a rule stops the app, naming the models.
    """
    problems = unmarked_models(models)
    if problems:
        raise RuntimeError("models without a scope decision (declare __scoped__ = True with a "
                           "register_scope rule, or __unscoped__ = \"why\"): "
                           + "; ".join(problems))


def unmarked_models(models: list[type]) -> list[str]:
    """What is wrong with each model's scope marker, one line per model (empty: all good)."""
    problems = []
    for model in models:
        scoped = getattr(model, "__scoped__", False) is True
        reason = getattr(model, "__unscoped__", None)
        has_reason = isinstance(reason, str) and bool(reason.strip())
        if scoped and has_reason:
            problems.append(f"{model.__name__}: both __scoped__ and __unscoped__")
        elif scoped and model not in _RULES:
            problems.append(f"{model.__name__}: __scoped__ without a register_scope rule")
        elif not scoped and not has_reason:
            problems.append(f"{model.__name__}: neither __scoped__ nor __unscoped__ = \"why\"")
    return sorted(problems)


def _touches_scoped_model(state: ORMExecuteState) -> bool:
    """True when the statement reads a scoped table anywhere: entity, select_from, join, subquery.

    ``all_mappers`` alone misses ``select(func.count()).select_from(Model)``.
    """
    if any(m.class_ in _RULES for m in state.all_mappers):
        return True
    return bool(scoped_tables_read(state.statement))


def scoped_tables_read(statement: Any) -> list[Any]:
    """The scoped models' tables a statement reads anywhere (joins, subqueries, columns)."""
    scoped_tables = {model.__table__ for model in _RULES}  # type: ignore[attr-defined]
    found = find_tables(statement, check_columns=True, include_aliases=True,
                        include_joins=True, include_selects=True, include_crud=True)
    return [table for table in found if table in scoped_tables]


@event.listens_for(Session, "do_orm_execute")
def _apply_scope(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # criteria propagate from the statement that loaded the parent
    actor = _current.get()
    if actor is None:
        if _touches_scoped_model(state):
            raise ScopeMissing("query on a scoped model with no actor; use acting_as(...)")
        return
    if actor.is_system:
        return
    if actor.named_on_sealed is False and not knows_named_on_no_sealed_case(actor):
        actor = replace(actor, named_on_sealed=None)  # built rules are cached by actor
    try:
        criteria = _criteria_for(actor)
    except TypeError:  # an actor built with a mutable set of regions: not hashable, not cached
        criteria = _criteria_for.__wrapped__(actor)
    state.statement = state.statement.options(*criteria)


@lru_cache(maxsize=1024)
def _criteria_for(actor: Actor) -> tuple[Any, ...]:
    """The loader criteria of every rule for one actor, built once and reused by each statement.

    Rules build SQL expressions only (never read data), so the result depends on the actor and
    the registered rules alone; building them for every statement would cost a third of an
    inbox request's time. Each option also keys itself once for SQLAlchemy's
    statement cache (referral/access/criteria.py).
    """
    return tuple(ScopeCriteria(model, rule(actor)) for model, rule in _RULES.items())


def clear_rule_cache() -> None:
    """Forget built criteria (called when a rule or a source of shared cases is registered)."""
    _criteria_for.cache_clear()
