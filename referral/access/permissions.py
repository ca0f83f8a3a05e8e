"""What each role may do: the one permission table of the project.

Row scoping (which records) lives in scope.py; this file only says which actions a role has.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user


class Role(enum.StrEnum):
    OFFICER = "officer"
    AGENCY_MANAGER = "agency_manager"
    COORDINATOR = "coordinator"
    ADMINISTRATOR = "administrator"


ROLE_LABELS = {
    Role.OFFICER: _l("Officer / caseworker"),
    Role.AGENCY_MANAGER: _l("Agency manager"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.ADMINISTRATOR: _l("Administrator"),
}


class Permission(enum.StrEnum):
    CASE_READ = "case.read"
    CASE_WRITE = "case.write"
    CASE_CREATE = "case.create"
    REFERRAL_SEND = "referral.send"
    REFERRAL_RESPOND = "referral.respond"
    REFERRAL_COORDINATE = "referral.coordinate"
    DIRECTORY_READ = "directory.read"
    USERS_MANAGE_OWN_AGENCY = "users.manage_own_agency"
    USERS_MANAGE_ALL = "users.manage_all"
    AGENCIES_MANAGE = "agencies.manage"
    REFERENCE_DATA_MANAGE = "reference.manage"
    AUDIT_VIEW = "audit.view"
    SYSTEM_HEALTH_VIEW = "system.health"
    ACCESS_REQUEST_DECIDE = "access_request.decide"
    # Open a case of another agency read-only for a few hours, with a reason (break the glass).
    CASE_EMERGENCY_ACCESS = "case.emergency_access"
    # Keep a closed case's data past its retention period (referral/retention), and release it.
    LEGAL_HOLD = "case.legal_hold"
    # The retention dry run: references and counts of what the purge would clear, no content.
    RETENTION_REPORT = "retention.report"


_CASEWORK = {
    Permission.CASE_READ,
    Permission.CASE_WRITE,
    Permission.CASE_CREATE,
    Permission.REFERRAL_SEND,
    Permission.REFERRAL_RESPOND,
    Permission.DIRECTORY_READ,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OFFICER: frozenset(_CASEWORK | {Permission.CASE_EMERGENCY_ACCESS}),
    Role.AGENCY_MANAGER: frozenset(
        _CASEWORK | {Permission.USERS_MANAGE_OWN_AGENCY, Permission.ACCESS_REQUEST_DECIDE,
                     Permission.CASE_EMERGENCY_ACCESS, Permission.LEGAL_HOLD}
    ),
    Role.COORDINATOR: frozenset(
        {
            Permission.CASE_READ,
            Permission.REFERRAL_COORDINATE,
            Permission.DIRECTORY_READ,
            Permission.LEGAL_HOLD,
            Permission.RETENTION_REPORT,
        }
    ),
    # Separation of duties: administrators manage the system, never case content.
    Role.ADMINISTRATOR: frozenset(
        {
            Permission.USERS_MANAGE_ALL,
            Permission.AGENCIES_MANAGE,
            Permission.REFERENCE_DATA_MANAGE,
            Permission.AUDIT_VIEW,
            Permission.SYSTEM_HEALTH_VIEW,
            Permission.DIRECTORY_READ,
            Permission.RETENTION_REPORT,
        }
    ),
}


def role_can(role: str | Role | None, permission: Permission) -> bool:
    """True when the role's row of the table holds the permission (unknown roles hold nothing)."""
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False


F = TypeVar("F", bound=Callable[..., Any])


def require(permission: Permission) -> Callable[[F], F]:
    """View decorator: 404 when the logged-in user's role lacks the permission.

    404, not 403, so that a page's existence is not confirmed to those who may not use it.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated or not role_can(current_user.role, permission):
                abort(404)
            return view(*args, **kwargs)

        wrapped.required_permission = permission  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator
