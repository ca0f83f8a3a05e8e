"""Who may do what (permissions) and who may see which rows (scope)."""

from referral.access.acting import scoped
from referral.access.permissions import Permission, Role, require, role_can
from referral.access.scope import (
    Actor,
    ScopeMissing,
    acting_as,
    current_actor,
    register_scope,
    system_actor,
)

__all__ = [
    "Actor",
    "Permission",
    "Role",
    "ScopeMissing",
    "acting_as",
    "current_actor",
    "register_scope",
    "require",
    "role_can",
    "scoped",
    "system_actor",
]
