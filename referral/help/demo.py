"""Demo accounts skip the first-login guide, as they skip the first-login password change.

Everyone who tries the demo shares these accounts: only the first visitor of each would meet the
guide, the others their home page. All land on their home page; the guide is one click away in
the header.
"""

from __future__ import annotations

from typing import Any

from referral.accounts.first_login import mark_guide_seen


def seed(agencies: dict[str, Any], users: dict[str, Any]) -> None:
    for user in users.values():
        if user is not None and user.guide_seen_at is None:
            mark_guide_seen(user.id)
