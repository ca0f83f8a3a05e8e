"""Navigation that fits the role: each domain adds its entries here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from referral.access.permissions import Permission, role_can


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy string
    permission: Permission | None
    order: int
    when: Callable[[], bool] | None = None  # shown only while this says so (e.g. development)


_ITEMS: list[NavItem] = []


def add_nav(endpoint: str, label: object, permission: Permission | None, order: int = 50,
            *, when: Callable[[], bool] | None = None) -> None:
    if not any(i.endpoint == endpoint and i.permission == permission for i in _ITEMS):
        _ITEMS.append(NavItem(endpoint, label, permission, order, when))
        _ITEMS.sort(key=lambda i: i.order)


add_nav("home.index", _l("Home"), None, 0)
add_nav("admin.users", _l("Users"), Permission.USERS_MANAGE_OWN_AGENCY, 80)
add_nav("admin.users", _l("Users"), Permission.USERS_MANAGE_ALL, 80)
add_nav("agencies.index", _l("Agencies"), Permission.AGENCIES_MANAGE, 85)
add_nav("audit.index", _l("Audit log"), Permission.AUDIT_VIEW, 90)


def visible_items() -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    seen: set[str] = set()
    items = []
    for item in _ITEMS:
        if item.endpoint in seen:
            continue
        if item.when is not None and not item.when():
            continue
        if item.permission is None or role_can(current_user.role, item.permission):
            items.append(item)
            seen.add(item.endpoint)
    return items


def register(app: Flask) -> None:
    @app.context_processor
    def _nav() -> dict[str, object]:
        return {"nav_items": visible_items()}
