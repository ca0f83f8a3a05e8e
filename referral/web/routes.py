"""Routes of one module, added to a blueprint made elsewhere.

A domain with several route modules keeps them in a ``views/`` package whose ``__init__`` makes
the blueprint and adds each module's ``routes`` to it. A route module then imports nothing from
its package: no import circle, no import at the bottom of a module to register routes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint

F = TypeVar("F", bound=Callable[..., Any])


class Routes:
    """``route``, ``get`` and ``post`` as on a blueprint; ``add_to(bp)`` adds them all, with
    the same endpoints (``<blueprint>.<function name>`` unless ``endpoint=`` says otherwise)."""

    def __init__(self) -> None:
        self._rules: list[tuple[str, dict[str, Any], Callable[..., Any]]] = []

    def route(self, rule: str, **options: Any) -> Callable[[F], F]:
        def decorator(view: F) -> F:
            self._rules.append((rule, options, view))
            return view

        return decorator

    def get(self, rule: str, **options: Any) -> Callable[[F], F]:
        return self.route(rule, methods=["GET"], **options)

    def post(self, rule: str, **options: Any) -> Callable[[F], F]:
        return self.route(rule, methods=["POST"], **options)

    def add_to(self, bp: Blueprint) -> None:
        for rule, options, view in self._rules:
            found = dict(options)
            bp.add_url_rule(rule, found.pop("endpoint", None), view, **found)
