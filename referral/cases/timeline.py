"""How timeline entries read on screen. Other domains may register labels for their kinds."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from referral.cases.models import (
    CASE_STATUS_LABELS,
    PARTICIPANT_ROLE_LABELS,
    RISK_LEVEL_LABELS,
    TimelineEntry,
)

LABELS: dict[str, object] = {
    "case.opened": _l("Case opened"),
    "case.updated": _l("Case details changed"),
    "case.status": _l("Status changed"),
    "case.restricted": _l("Case restricted to named people"),
    "case.unrestricted": _l("Restriction lifted"),
    "case.repeat": _l("Repeat incident: case marked repeat"),
    "case.high_risk": _l("High risk: case flagged for the coordinator"),
    "participant.added": _l("Person added"),
    "participant.updated": _l("Person's details changed"),
    "safe_contact.updated": _l("Safe contact changed"),
    "incident.recorded": _l("Incident recorded"),
    "risk.assessed": _l("Risk assessment completed"),
    "measure.issued": _l("Protective measure issued"),
    "measure.breach": _l("Breach of a protective measure recorded"),
    "measure.revoked": _l("Protective measure ended early"),
    "note.added": _l("Note added"),
    "note.edited": _l("Note corrected"),
    "access.granted": _l("Access granted to another agency"),
    "access.refused": _l("Access refused to another agency"),
}


def register_timeline_labels(labels: dict[str, object]) -> None:
    """Let other domains (e.g. referrals) name the kinds of entry they add."""
    LABELS.update(labels)


def describe(entry: TimelineEntry) -> str:
    """One line for the entry: its label, and the codes it carries made readable."""
    label = str(LABELS.get(entry.kind, entry.kind))
    data = entry.data or {}
    extra = ""
    if entry.kind == "case.status" and data.get("status_to"):
        extra = str(CASE_STATUS_LABELS.get(data["status_to"], data["status_to"]))
    elif entry.kind.startswith("participant.") and data.get("role"):
        extra = str(PARTICIPANT_ROLE_LABELS.get(data["role"], data["role"]))
    elif entry.kind == "risk.assessed" and data.get("level"):
        extra = _("%(level)s, %(score)s yes", level=RISK_LEVEL_LABELS.get(data["level"], ""),
                  score=data.get("score", "?"))
    elif entry.kind == "measure.issued" and data.get("ends_on"):
        extra = _("until %(day)s", day=data["ends_on"])
    return f"{label}: {extra}" if extra else label
