"""The domain packages of the app, in dependency order.

Each may have any of: models.py, scope.py (scope rules), views.py (``bp``), panels.py (home
panels), cli.py (``register(app)``), demo.py (``seed(agencies, users)``). They are found here, so
adding a domain touches this list only.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

DOMAINS = (
    "agencies",
    "accounts",
    "audit",
    "events",
    "notifications",
    "cases",
    "referrals",
    "documents",
    "safety",
    "ops",
    "backup",
    "schools",
    "closure",
    "coordination",
    "retention",
    "imports",
    "webhooks",
    "api",
    "admin",
    "home",
    "help",
)


def domain_modules(kind: str) -> list[ModuleType]:
    """Import ``referral.<domain>.<kind>`` for every domain that has one."""
    found = []
    for domain in DOMAINS:
        name = f"referral.{domain}.{kind}"
        if importlib.util.find_spec(f"referral.{domain}") is None:
            continue
        if importlib.util.find_spec(name) is not None:
            found.append(importlib.import_module(name))
    return found
