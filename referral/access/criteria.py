"""A loader-criteria option whose cache key is computed once, not once per statement.

SQLAlchemy keys every statement for its compiled cache by walking the whole statement, options
included. The scope adds one ``with_loader_criteria`` option per scoped model, each carrying its
rule's full expression (nested EXISTS and IN subqueries), so walking them cost about 1 ms for
every ORM statement: a fifth to a quarter of an officer's home page (cProfile, 10k cases). The
options are built once per actor and never change, so their part of the key is computed once.

The reuse keeps the key exactly as discriminating as before:
- the structure of each rule (which depends on the actor's role, regions, sharing sources) is
  still in the key, so statements of actors whose rules differ never share a compiled form;
- the option's bound parameters (agency, user, region ids …) are still handed to the statement's
  key in traversal order, so a compiled statement reused for another actor gets *that* actor's
  values, exactly as SQLAlchemy does for any cached statement.
The part computed once is numbered on its own (SQLAlchemy numbers each node of a key in traversal
order); that is sound because nothing inside an option is shared with the statement it is added
to: rules build fresh expressions for each actor and never hand them out. In the statement's key
the option's part is a short stand-in, the same for every option whose full key is equal.
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm.util import LoaderCriteriaOption
from sqlalchemy.sql.cache_key import NO_CACHE, CacheConst
from sqlalchemy.sql.visitors import anon_map

_TOKENS: dict[Any, tuple[type, int]] = {}  # a rule's key structure -> its short stand-in
_NUMBERS = itertools.count()
_MAX_TOKENS = 10_000


def _token(key: Any) -> tuple[type, int]:
    """One small stand-in per distinct key structure: equal structures, equal stand-ins.

    The full keys are large nested tuples (some 30 kB as text each), and Python hashes a tuple
    anew on every compiled-cache lookup. Rules produce few distinct structures (one per role
    branch), so the table stays small; stand-in numbers are never reused, so emptying the table
    (a guard should a rule ever put values into its shape) costs cache misses, never a mix-up.
    """
    found = _TOKENS.get(key)
    if found is None:
        if len(_TOKENS) >= _MAX_TOKENS:
            _TOKENS.clear()
        found = _TOKENS.setdefault(key, (ScopeCriteria, next(_NUMBERS)))
    return found


class ScopeCriteria(LoaderCriteriaOption):
    """``with_loader_criteria(model, expression, include_aliases=True)`` with a memoized key."""

    __slots__ = ("_memo",)
    inherit_cache = True
    _cache_key_traversal = LoaderCriteriaOption._traverse_internals  # the parent keys by these

    def __init__(self, model: type, criteria: Any) -> None:
        super().__init__(model, criteria, include_aliases=True)
        self._memo: tuple[tuple[type, int], tuple[Any, ...]] | None = None

    def _gen_cache_key(self, am: Any, bindparams: list[Any]) -> Any:
        memo = self._memo
        if memo is None:
            own_map = anon_map()
            own_binds: list[Any] = []
            key = super()._gen_cache_key(own_map, own_binds)
            if NO_CACHE in own_map or CacheConst.PARAMS in own_map:
                # Not cacheable as a unit (never the case for the rules today): let SQLAlchemy
                # key it in place, flags and all.
                return super()._gen_cache_key(am, bindparams)
            memo = self._memo = (_token(key), tuple(own_binds))
        bindparams.extend(memo[1])
        return memo[0]
