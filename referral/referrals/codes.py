"""Coded values of referrals: urgency, reasons, outcomes and legal grounds (labels translated)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

URGENCIES = {
    "emergency": _l("Emergency"),
    "urgent": _l("Urgent"),
    "routine": _l("Routine"),
}

# The one service whose referral is about the alleged offender, and records sessions.
PROGRAMME_SERVICE = "correctional_programme"

SUBJECTS = {
    "survivor": _l("The survivor (and children)"),
    "offender": _l("The alleged offender"),
}

DECLINE_REASONS = {
    "no_capacity": _l("No capacity"),
    "out_of_area": _l("Out of our area"),
    "service_not_offered": _l("Service not offered"),
    "client_declined": _l("Client declined"),
    "unreachable": _l("Client unreachable"),
    "other": _l("Other (explain)"),
}

CANCEL_REASONS = {
    "no_longer_needed": _l("No longer needed"),
    "client_declined": _l("Client declined"),
    "sent_in_error": _l("Sent in error"),
    "other": _l("Other (explain)"),
}

FAIL_REASONS = {
    "client_disengaged": _l("Client disengaged"),
    "unreachable": _l("Client unreachable"),
    "dropped_out": _l("Dropped out of the programme"),
    "moved_away": _l("Client moved away"),
    "other": _l("Other (explain)"),
}

HOLD_REASONS = {
    "client_request": _l("At the client's request"),
    "waiting_documents": _l("Waiting for documents"),
    "hospitalised": _l("Client in hospital"),
    "other": _l("Other (explain)"),
}

OUTCOMES = {
    "service_provided": _l("Service provided"),
    "goals_met": _l("Goals of the plan met"),
    "programme_completed": _l("Programme completed"),
    "referred_on": _l("Referred on to another service"),
    "other": _l("Other (explain)"),
}

LEGAL_GROUNDS = {
    "child_at_risk": _l("A child is at risk"),
    "imminent_danger": _l("Imminent danger to life or health"),
    "court_order": _l("Court order"),
    "statutory_duty": _l("Statutory duty to report"),
}

PROGRAMME_EVENTS = {
    "enrolled": _l("Enrolled in the programme"),
    "attended": _l("Session attended"),
    "missed": _l("Session missed"),
}

CATEGORY_LABELS = {
    "identity_contact": _l("Identity and contact"),
    "incident_details": _l("Incident details"),
    "risk_assessment": _l("Risk assessment"),
    "children": _l("Children"),
}


def label(table: dict, code: str | None) -> str:
    """The translated label of a code, or the code itself (or a dash) if unknown."""
    if not code:
        return "—"
    return str(table.get(code, code))
