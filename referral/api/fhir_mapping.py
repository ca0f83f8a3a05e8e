"""A referral as HL7 FHIR R4 resources after the closed-loop referral pattern: the sender's
request is a ``ServiceRequest``, the receiver's work on it a ``Task`` whose ``focus`` it is.

Statuses. ``Task.status`` is FHIR's coarse state; ``Task.businessStatus`` carries our exact
state code (system ``STATUS_SYSTEM``), so nothing is lost in the mapping:

    sent            requested (received, once a user of the receiver opened it)
    accepted        accepted          declined     rejected
    in_progress     in-progress       on_hold      on-hold
    completed       completed         cancelled    cancelled
    failed          failed            entered_in_error  entered-in-error
    expired         failed  — not "cancelled": the requester did not withdraw it, the owner let
                    the time to answer pass (Task.statusReason says "expired").

``ServiceRequest.status``: active while the referral is open (on-hold when held), completed,
entered-in-error, and revoked once it ended otherwise: one referral asks one agency, and
referring elsewhere is a new referral (a new ServiceRequest).

The person. ``subject`` (and ``Task.for``) is a contained ``Patient`` with name, birth date and
IIN only when the caller reads the case's identity category (the sender's own agency, a
coordinator of the region, a receiver the survivor consented to share identity with, under the
case page's rule); otherwise a reference with no name, no id and no identifier, marked with the
data-absent-reason ``masked``. The IIN is an identifier of system ``IIN_SYSTEM``: there is no
published FHIR NamingSystem (nor OID) for the Kazakh IIN we could use, so the URI is ours, like
every code system here (``urn:referral-kz:…``: stable across deployments; a URL would change
with each server's address).

Text. The reason and "what the receiver needs to know" cross as the referral's page shows them
to both agencies; progress notes only those the caller may read (``progress``'s rule, which
follows the consented categories).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from referral.agencies.models import Agency
from referral.referrals.codes import (
    CANCEL_REASONS,
    DECLINE_REASONS,
    FAIL_REASONS,
    HOLD_REASONS,
    OUTCOMES,
)
from referral.referrals.codes import label as code_label
from referral.referrals.lifecycle import STATUS_LABELS, Status
from referral.referrals.models import Referral, ReferralProgressNote

BASE = "urn:referral-kz:fhir"
STATUS_SYSTEM = f"{BASE}:CodeSystem:referral-status"
SERVICE_SYSTEM = f"{BASE}:CodeSystem:service"
REASON_SYSTEM = f"{BASE}:CodeSystem:status-reason"
OUTCOME_SYSTEM = f"{BASE}:CodeSystem:outcome"
OUTPUT_SYSTEM = f"{BASE}:CodeSystem:task-output"
REFERENCE_SYSTEM = f"{BASE}:NamingSystem:referral-reference"
IIN_SYSTEM = f"{BASE}:NamingSystem:kz-iin"
DATA_ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
TASK_CODE = "http://hl7.org/fhir/CodeSystem/task-code"
MEDIA_TYPE = "application/fhir+json"

TASK_STATUS = {
    Status.SENT: "requested", Status.ACCEPTED: "accepted", Status.DECLINED: "rejected",
    Status.IN_PROGRESS: "in-progress", Status.ON_HOLD: "on-hold",
    Status.COMPLETED: "completed", Status.CANCELLED: "cancelled", Status.EXPIRED: "failed",
    Status.FAILED: "failed", Status.ENTERED_IN_ERROR: "entered-in-error",
}
REQUEST_STATUS = {
    Status.SENT: "active", Status.ACCEPTED: "active", Status.IN_PROGRESS: "active",
    Status.ON_HOLD: "on-hold", Status.COMPLETED: "completed",
    Status.ENTERED_IN_ERROR: "entered-in-error",
}
PRIORITY = {"emergency": "stat", "urgent": "urgent", "routine": "routine"}
# Where the reason code of a status lives, per status.
_REASONS = {Status.DECLINED: ("decline_reason", DECLINE_REASONS),
            Status.CANCELLED: ("status_reason", CANCEL_REASONS),
            Status.FAILED: ("status_reason", FAIL_REASONS),
            Status.ON_HOLD: ("status_reason", HOLD_REASONS),
            Status.ENTERED_IN_ERROR: ("status_reason", {})}
_REASON_TEXT = {Status.DECLINED: "decline_text"}


def task_status(referral: Referral) -> str:
    if referral.status == Status.SENT and referral.received_at is not None:
        return "received"
    return TASK_STATUS[Status(referral.status)]


def _when(value: datetime | None) -> str | None:
    if value is None:
        return None
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _drop_empty(doc: dict[str, Any]) -> dict[str, Any]:
    """FHIR JSON has no nulls and no empty lists."""
    return {k: v for k, v in doc.items() if v not in (None, [], {}, "")}


def _coding(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def organization_ref(agency: Agency) -> dict[str, Any]:
    return {"reference": f"Organization/{agency.id}", "type": "Organization",
            "display": agency.name}


def masked_subject() -> dict[str, Any]:
    """A subject the caller may not know: no reference, name or identifier."""
    return {"type": "Patient",
            "extension": [{"url": DATA_ABSENT, "valueCode": "masked"}]}


def patient(person: Any) -> dict[str, Any]:
    """The contained Patient, for a caller who reads the case's identity category."""
    given = [p for p in (person.given_name, person.patronymic) if p]
    doc: dict[str, Any] = {
        "resourceType": "Patient", "id": "subject",
        "name": [_drop_empty({"family": person.surname, "given": given,
                              "text": person.full_name})],
        "gender": {"female": "female", "male": "male"}.get(person.sex or ""),
        "birthDate": person.birth_date.isoformat() if person.birth_date else None,
    }
    if person.iin:
        doc["identifier"] = [{"system": IIN_SYSTEM, "value": person.iin}]
    return _drop_empty(doc)


def _subject(person: Any | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    if person is None:
        return masked_subject(), []
    return {"reference": "#subject", "type": "Patient", "display": person.full_name}, [
        patient(person)]


def _identifier(referral: Referral) -> list[dict[str, Any]]:
    if not referral.reference:
        return []
    return [{"system": REFERENCE_SYSTEM, "value": referral.reference}]


def _last_modified(referral: Referral) -> str | None:
    times = [t for t in (referral.sent_at, referral.received_at, referral.accepted_at,
                         referral.last_progress_at, referral.escalated_at, referral.closed_at)
             if t is not None]
    return _when(max(times)) if times else None


def _status_reason(referral: Referral) -> dict[str, Any] | None:
    status = Status(referral.status)
    if status == Status.EXPIRED:
        return _coding(REASON_SYSTEM, "expired", str(STATUS_LABELS[Status.EXPIRED]))
    if status not in _REASONS:
        return None
    column, table = _REASONS[status]
    code = getattr(referral, column)
    if not code:
        return None
    reason = _coding(REASON_SYSTEM, code, code_label(table, code))
    text = getattr(referral, _REASON_TEXT.get(status, "status_text"))
    if text:
        reason["text"] = text
    return reason


def _output(referral: Referral) -> list[dict[str, Any]]:
    """The outcome of a completed referral (what the sender waits for to close the loop)."""
    if referral.status != Status.COMPLETED or not referral.outcome:
        return []
    value = _coding(OUTCOME_SYSTEM, referral.outcome, code_label(OUTCOMES, referral.outcome))
    if referral.outcome_text:
        value["text"] = referral.outcome_text
    return [{"type": {"coding": [{"system": OUTPUT_SYSTEM, "code": "outcome"}]},
             "valueCodeableConcept": value}]


def _notes(notes: list[ReferralProgressNote]) -> list[dict[str, Any]]:
    return [{"authorReference": organization_ref(n.agency), "time": _when(n.created_at),
             "text": n.body} for n in notes if n.body]


def task(referral: Referral, *, person: Any | None,
         notes: list[ReferralProgressNote]) -> dict[str, Any]:
    """The referral's Task (``person``: the subject if the caller may know who it is)."""
    subject, contained = _subject(person)
    status = Status(referral.status)
    label = str(STATUS_LABELS[status])
    period = _drop_empty({"start": _when(referral.accepted_at), "end": _when(referral.closed_at)})
    return _drop_empty({
        "resourceType": "Task", "id": str(referral.id), "contained": contained,
        "meta": {"lastUpdated": _last_modified(referral)},
        "identifier": _identifier(referral),
        "basedOn": [{"reference": f"ServiceRequest/{referral.id}"}],
        "status": task_status(referral), "statusReason": _status_reason(referral),
        "businessStatus": _coding(STATUS_SYSTEM, status.value, label),
        "intent": "order", "priority": PRIORITY.get(referral.urgency, "routine"),
        "code": {"coding": [{"system": TASK_CODE, "code": "fulfill"}]},
        "focus": {"reference": f"ServiceRequest/{referral.id}", "type": "ServiceRequest"},
        "for": subject, "authoredOn": _when(referral.sent_at),
        "lastModified": _last_modified(referral),
        "requester": organization_ref(referral.sender_agency),
        "owner": organization_ref(referral.receiver_agency),
        "executionPeriod": period or None,
        "restriction": {"period": {"end": _when(referral.deadline_at)}}
        if status in (Status.SENT, Status.EXPIRED) else None,
        "note": _notes(notes), "output": _output(referral),
    })


def service_request(referral: Referral, *, person: Any | None, service_label: str
                    ) -> dict[str, Any]:
    """The sender's request: what service, for whom, how urgent, from whom to whom."""
    subject, contained = _subject(person)
    service = _coding(SERVICE_SYSTEM, referral.service_code, service_label)
    return _drop_empty({
        "resourceType": "ServiceRequest", "id": str(referral.id), "contained": contained,
        "meta": {"lastUpdated": _last_modified(referral)},
        "identifier": _identifier(referral),
        "status": REQUEST_STATUS.get(Status(referral.status), "revoked"),
        "intent": "order", "category": [service], "code": service,
        "priority": PRIORITY.get(referral.urgency, "routine"),
        "subject": subject, "authoredOn": _when(referral.sent_at),
        "requester": organization_ref(referral.sender_agency),
        "performer": [organization_ref(referral.receiver_agency)],
        "reasonCode": [{"text": referral.reason}] if referral.reason else [],
        "note": [{"text": referral.need_to_know}] if referral.need_to_know else [],
    })
