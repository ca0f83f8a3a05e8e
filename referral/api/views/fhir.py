"""A referral as HL7 FHIR R4 ``Task`` and ``ServiceRequest`` (``application/fhir+json``).

Read as the referral's page is read: the same scoped, audited service (a referral the caller
may not see is a 404; a user of the receiving agency opening it marks it received), and only the
data the caller's categories allow (referral/api/fhir_mapping.py).
"""

from __future__ import annotations

from typing import Any

from referral.access.permissions import Permission
from referral.access.scope import Actor, current_actor
from referral.agencies.catalogue import SERVICES
from referral.api import fhir_mapping as fm
from referral.api.schemas.fhir import FhirResource
from referral.api.spec import Reply, operation
from referral.cases import service as cases
from referral.cases.duplicates import role_category
from referral.cases.scope import visible_categories
from referral.errors import NotVisible
from referral.extensions import db
from referral.referrals import progress
from referral.referrals import service as referrals
from referral.referrals.models import Referral

TAG = "FHIR R4"


def subject_person(actor: Actor, referral: Referral) -> Any | None:
    """The person the referral is for, if the actor reads the case's identity category (as the
    case page would show them); else None."""
    if referral.subject_participant_id is None:
        return None
    try:
        case = cases.load_case(actor, referral.case_id)
    except NotVisible:
        return None
    categories = visible_categories(actor, case)
    if "identity_contact" not in categories:
        return None
    try:  # the person is shown: their read is audited (participant.view), as on their page
        participant = cases.get_participant(actor, referral.subject_participant_id)
    except NotVisible:
        return None
    if role_category(participant.role) not in categories:
        return None  # a child, and the actor does not read the children category
    return participant.person


def _read(referral_id: int) -> tuple[Actor, Referral, Any | None]:
    actor = current_actor()
    referral = referrals.get_referral_for(actor, referral_id)
    return actor, referral, subject_person(actor, referral)


def _reply(resource: dict[str, Any]) -> Reply:
    db.session.commit()  # the read's audit row (and the receiver's first opening)
    return Reply(resource, media_type=fm.MEDIA_TYPE)


@operation("GET", "/fhir/Task/<int:referral_id>", summary="A referral as a FHIR Task",
           tag=TAG, response=FhirResource, permission=Permission.CASE_READ,
           media_type=fm.MEDIA_TYPE)
def fhir_task(referral_id: int) -> Reply:
    """The receiving agency's work on a referral, after the closed-loop referral pattern:
    ``status`` in FHIR's terms, ``businessStatus`` our exact state, ``owner`` and ``requester``
    the agencies, ``output`` the outcome once completed."""
    actor, referral, person = _read(referral_id)
    notes = progress.list_progress_notes_for(actor, referral)
    return _reply(fm.task(referral, person=person, notes=notes))


@operation("GET", "/fhir/ServiceRequest/<int:referral_id>",
           summary="A referral as a FHIR ServiceRequest", tag=TAG, response=FhirResource,
           permission=Permission.CASE_READ, media_type=fm.MEDIA_TYPE)
def fhir_service_request(referral_id: int) -> Reply:
    """The sending agency's request: the service (our code), priority from urgency, requester
    and performer, and the subject only when the caller may know who it is.

    The subject is a contained Patient (name, birth date, IIN as an identifier of system
    ``urn:referral-kz:fhir:NamingSystem:kz-iin``) when the caller reads the case's identity
    data; otherwise a reference with neither, marked data-absent-reason ``masked``."""
    _actor, referral, person = _read(referral_id)
    label = str(SERVICES.get(referral.service_code, referral.service_code))
    return _reply(fm.service_request(referral, person=person, service_label=label))
