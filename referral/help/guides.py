"""Which guide fits which user, and the rules the guides state, read from the configuration.

The guides say what the code does: the answer windows come from ``REFERRAL_DEADLINES`` (the same
function the send form uses), the reminders and escalations from the notification settings, so a
deployment that changes them shows its own numbers and the text can never drift from the rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from referral.access.permissions import Role
from referral.agencies.models import AgencyType
from referral.cases.scope import DATA_CATEGORIES
from referral.notifications.config import setting
from referral.referrals.codes import CATEGORY_LABELS, LEGAL_GROUNDS, URGENCIES
from referral.referrals.lifecycle import Status, status_label
from referral.referrals.service import deadline_labels

POLICE = "police"
CASEWORKER = "caseworker"
MANAGER = "manager"
COORDINATOR = "coordinator"
ADMINISTRATOR = "administrator"

# Menu order; every role of the permission table maps to one of these (guide_for).
GUIDE_TITLES = {
    POLICE: _l("Police officer"),
    CASEWORKER: _l("Crisis center or social worker"),
    MANAGER: _l("Agency manager"),
    COORDINATOR: _l("Coordinator"),
    ADMINISTRATOR: _l("Administrator"),
}
_POLICE_TYPES = frozenset({AgencyType.POLICE, AgencyType.SPECIAL_POLICE})
_BY_ROLE = {
    Role.AGENCY_MANAGER: MANAGER,
    Role.COORDINATOR: COORDINATOR,
    Role.ADMINISTRATOR: ADMINISTRATOR,
}


def guide_for(role: str, agency_type: str | None) -> str:
    """The guide of a role; officers split by their agency: police, or a service that helps."""
    if role == Role.OFFICER:
        return POLICE if agency_type in _POLICE_TYPES else CASEWORKER
    try:
        return _BY_ROLE[Role(role)]
    except (KeyError, ValueError):
        return CASEWORKER


@dataclass(frozen=True)
class Rules:
    """The configured numbers a guide states, already worded for the current language."""

    windows: list[tuple[str, str]]  # (urgency label, "2 h")
    emergency_window: str
    reminder_shares: str  # "50%, 80%"
    no_progress: str  # "5 days"
    high_risk: str  # "24 hours"
    measure_ending: str  # "3, 1"
    digest_hour: str  # "08:00"
    categories: list[str]
    legal_grounds: list[str]
    status: dict[str, str]  # the referral statuses' labels, as the pages show them


def _days(n: int) -> str:
    return ngettext("%(num)d day", "%(num)d days", n)


def _hours(n: int) -> str:
    return ngettext("%(num)d hour", "%(num)d hours", n)


def current_rules() -> Rules:
    """The rules as configured now (read on each page view: tests and operators change them)."""
    labels = deadline_labels()
    return Rules(
        windows=[(str(URGENCIES[code]), labels[code]) for code in URGENCIES],
        emergency_window=labels["emergency"],
        reminder_shares=", ".join(f"{p}%" for p in sorted(setting("NOTIFY_PENDING_THRESHOLDS"))),
        no_progress=_days(int(setting("NOTIFY_NO_PROGRESS_DAYS"))),
        high_risk=_hours(int(setting("NOTIFY_HIGH_RISK_UNACCEPTED_HOURS"))),
        measure_ending=", ".join(str(d) for d in sorted(setting("NOTIFY_MEASURE_ENDING_DAYS"),
                                                        reverse=True)),
        digest_hour=f"{int(setting('NOTIFY_DIGEST_HOUR')):02d}:00",
        categories=[str(CATEGORY_LABELS.get(code, code)) for code in DATA_CATEGORIES],
        legal_grounds=[str(label) for label in LEGAL_GROUNDS.values()],
        status={code.value: status_label(code) for code in Status},
    )
