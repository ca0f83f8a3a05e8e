"""The reminder sweep also clears uploads left a day after their dry run (batches.py)."""

from __future__ import annotations

from datetime import datetime

from referral.imports.batches import purge_expired
from referral.notifications.rules import register_rule


@register_rule("import_batches", order=90)
def _purge_import_batches(*, now: datetime) -> int:
    return purge_expired(now=now)
