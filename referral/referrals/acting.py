"""Run a service function under its actor's scope, whatever the caller's context."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from referral.access.scope import Actor, acting_as

F = TypeVar("F", bound=Callable[..., Any])


def scoped(fn: F) -> F:
    """Every query inside ``fn(actor, …)`` is scoped to ``actor``."""

    @wraps(fn)
    def wrapper(actor: Actor, *args: Any, **kwargs: Any) -> Any:
        with acting_as(actor):
            return fn(actor, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
