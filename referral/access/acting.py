"""The one "run as this actor" decorator every domain's service functions use."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from referral.access.scope import Actor, acting_as

F = TypeVar("F", bound=Callable[..., Any])


def scoped(fn: F) -> F:
    """Run ``fn(actor, …)`` with ``actor`` as the scope of every query it makes and the author of
    every audit row it writes, whether it is called from a request, a job or a test.

    ``actor=None`` runs ``fn`` under whatever scope is already set, so a service that accepts an
    optional actor still fails closed (``ScopeMissing``) when none is set at all.
    """

    @wraps(fn)
    def wrapper(actor: Actor | None, *args: Any, **kwargs: Any) -> Any:
        if actor is None:
            return fn(actor, *args, **kwargs)
        with acting_as(actor):
            return fn(actor, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
