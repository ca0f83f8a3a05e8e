"""A referral's answer window: how long the receiving agency has to answer, per urgency.

The deadline is set from here when a referral is sent, reassigned or sent anew; its reminders
and expiry (referral.referrals.notify) measure the window the deadline closes.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _

from referral.cases.models import RiskLevel
from referral.referrals.codes import URGENCIES

DEFAULT_DEADLINES = {
    "emergency": timedelta(hours=2),
    "urgent": timedelta(hours=24),
    "routine": timedelta(hours=72),
}


def deadline_for(urgency: str) -> timedelta:
    """The acceptance time for an urgency, from REFERRAL_DEADLINES (timedelta or hours)."""
    configured = current_app.config.get("REFERRAL_DEADLINES") or DEFAULT_DEADLINES
    value = configured.get(urgency, DEFAULT_DEADLINES[urgency])
    return value if isinstance(value, timedelta) else timedelta(hours=float(value))


def deadline_labels() -> dict[str, str]:
    """'2 h' etc. per urgency, for the send form's hint."""
    out = {}
    for urgency in URGENCIES:
        hours = deadline_for(urgency).total_seconds() / 3600
        out[urgency] = _("%(n)s h", n=f"{hours:g}")
    return out


def default_urgency(risk_level: str | None) -> str:
    """A high-risk case defaults to an emergency referral."""
    return "emergency" if risk_level == RiskLevel.HIGH else "routine"
