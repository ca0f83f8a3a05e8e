"""Home page panels: each domain registers what a role should see first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from referral.access.scope import Actor


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    roles: frozenset[str]
    order: int
    context: Callable[[Actor], dict[str, Any]]


_PANELS: list[Panel] = []


def register_panel(
    name: str, *, template: str, roles: set[str], order: int = 50
) -> Callable[[Callable[[Actor], dict[str, Any]]], Callable[[Actor], dict[str, Any]]]:
    def decorator(fn: Callable[[Actor], dict[str, Any]]) -> Callable[[Actor], dict[str, Any]]:
        if not any(p.name == name for p in _PANELS):
            _PANELS.append(Panel(name, template, frozenset(roles), order, fn))
            _PANELS.sort(key=lambda p: p.order)
        return fn

    return decorator


def panels_for(actor: Actor) -> list[tuple[Panel, dict[str, Any]]]:
    return [(p, p.context(actor)) for p in _PANELS if actor.role in p.roles]
