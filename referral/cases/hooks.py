"""Where other domains join a case's rules without the cases package knowing them by name.

- ``register_close_guard``: ``fn(actor, case)`` raises ``DomainError`` (with the reason a user
  reads) when the case may not be closed yet; every guard runs before a case is closed.
- ``register_incident_hook``: ``fn(actor, case, incident)`` runs in the same transaction right
  after an incident is recorded (a school notice, a re-assessment made due).
- ``register_case_page_part``: ``fn(actor, case)`` gives the names the case page's template
  reads for a later domain's section of it (the case's referrals), read as the page is shown.
- ``register_case_page_read``: ``fn(actor, statement, whole)`` joins a later domain's part of
  the case page into the page's own statement (referral.cases.page_reads).

A domain registers from a module imported at start-up (its ``models.py`` or ``views.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

CloseGuard = Callable[[Any, Any], None]
IncidentHook = Callable[[Any, Any, Any], None]
CasePagePart = Callable[[Any, Any], dict[str, Any]]
# (actor, statement, whole) -> (the statement with the domain's columns, rows -> its value), or
# None when the domain shows the actor nothing from it.
CasePageRead = Callable[[Any, Any, Any], tuple[Any, Callable[[Sequence[Any]], Any]] | None]

_CLOSE_GUARDS: list[CloseGuard] = []
_INCIDENT_HOOKS: list[IncidentHook] = []
_CASE_PAGE_PARTS: list[CasePagePart] = []
_CASE_PAGE_READS: dict[str, CasePageRead] = {}


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


def register_case_page_part(fn: CasePagePart) -> CasePagePart:
    if fn not in _CASE_PAGE_PARTS:
        _CASE_PAGE_PARTS.append(fn)
    return fn


def case_page_parts(actor: Any, case: Any) -> dict[str, Any]:
    """What the registered domains show on the case page, as names for its template."""
    found: dict[str, Any] = {}
    for part in _CASE_PAGE_PARTS:
        found.update(part(actor, case))
    return found


def register_case_page_read(name: str) -> Callable[[CasePageRead], CasePageRead]:
    def decorator(fn: CasePageRead) -> CasePageRead:
        _CASE_PAGE_READS[name] = fn
        return fn
    return decorator


def case_page_reads() -> dict[str, CasePageRead]:
    return dict(_CASE_PAGE_READS)
