"""The reminder sweep, run every minute: every rule the domains registered, as the system.

Each domain's ``notify.py`` registers its rules (``rules.register_rule``) when the app is made
(referral.web imports every ``notify.py``): referrals their answer-window reminders, expiry and
stalled work, cases their ending protective measures, coordination its conference actions;
this package adds the daily digest (``digest.py``). Each reminder is sent at most once for its
threshold (``rules.once_many``), so a second sweep, a redelivered task or a duplicated beat
sends nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from referral.access.scope import acting_as, system_actor
from referral.notifications import digest  # noqa: F401 - registers the daily digest rule
from referral.notifications.rules import registered_rules


def run_all(*, now: datetime) -> dict[str, int]:
    """One sweep: every registered rule in its order; rule name → how many it sent."""
    with acting_as(system_actor("reminder sweep")):
        return {name: rule(now=now) for name, rule in registered_rules()}
