"""Where other domains join a case's rules without the cases package knowing them by name.

- ``register_close_guard``: ``fn(actor, case)`` raises ``DomainError`` (with the reason a user
  reads) when the case may not be closed yet; every guard runs before a case is closed.
- ``register_incident_hook``: ``fn(actor, case, incident)`` runs in the same transaction right
  after an incident is recorded (a school notice, a re-assessment made due).

A domain registers from a module imported at start-up (its ``models.py`` or ``views.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CloseGuard = Callable[[Any, Any], None]
IncidentHook = Callable[[Any, Any, Any], None]

_CLOSE_GUARDS: list[CloseGuard] = []
_INCIDENT_HOOKS: list[IncidentHook] = []


def register_close_guard(fn: CloseGuard) -> CloseGuard:
    if fn not in _CLOSE_GUARDS:
        _CLOSE_GUARDS.append(fn)
    return fn


def register_incident_hook(fn: IncidentHook) -> IncidentHook:
    if fn not in _INCIDENT_HOOKS:
        _INCIDENT_HOOKS.append(fn)
    return fn


def check_close(actor: Any, case: Any) -> None:
    """Raise the first guard's refusal; return when every guard lets the case close."""
    for guard in _CLOSE_GUARDS:
        guard(actor, case)


def incident_recorded(actor: Any, case: Any, incident: Any) -> None:
    for hook in _INCIDENT_HOOKS:
        hook(actor, case, incident)
