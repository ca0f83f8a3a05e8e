"""The people of a case through the API: list them, read one, add one, correct one.

``referral.cases.people`` does the work, as for the person form: the duplicate check, one person
per IIN, the category a person's details fall under.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _

from referral.access.permissions import Permission
from referral.access.scope import current_actor
from referral.api.etag import etag_header, expected_version
from referral.api.problems import Problem
from referral.api.schemas.case_parts import (
    ParticipantList,
    ParticipantOut,
    PersonCreate,
    PersonPatch,
)
from referral.api.spec import Reply, operation
from referral.api.views.cases import committed
from referral.cases import people
from referral.cases import service as cases
from referral.cases.duplicates import role_category
from referral.cases.models import CaseParticipant
from referral.cases.scope import visible_categories
from referral.errors import NotVisible
from referral.web.transaction import run_action

TAG = "people"
PERSON_FIELDS = ("surname", "given_name", "patronymic", "sex", "birth_date", "iin")
PART_FIELDS = ("role", "relationship_to_offender", "phone", "has_disability", "disability_note",
               "is_pregnant", "note")
TEXTS = {"surname", "given_name", "patronymic", "iin", "phone", "disability_note", "note"}
FLAGS = {"has_disability", "is_pregnant"}


@operation("GET", "/cases/<int:case_id>/people", summary="The people of a case", tag=TAG,
           response=ParticipantList, permission=Permission.CASE_READ)
def list_people(case_id: int) -> ParticipantList:
    """The people the case page shows the caller, survivors first (404 when the caller does not
    read identity and contact details). Audited as the case page's read."""
    actor = current_actor()
    case, participants = cases.open_case_page(actor, case_id)
    if "identity_contact" not in visible_categories(actor, case):
        raise NotVisible("case", case_id)
    return committed(lambda: ParticipantList(items=[ParticipantOut.of(p) for p in participants]))


def _readable(participant_id: int) -> CaseParticipant:
    """The participant (audited), if the caller reads the category of their role."""
    actor = current_actor()
    participant = cases.get_participant(actor, participant_id)
    case = cases.load_case(actor, participant.case_id)
    if role_category(participant.role) not in visible_categories(actor, case):
        raise NotVisible("participant", participant_id)
    return participant


@operation("GET", "/people/<int:participant_id>", summary="A person of a case", tag=TAG,
           response=ParticipantOut, permission=Permission.CASE_READ)
def get_person(participant_id: int) -> Reply:
    """One person's part in a case; the ``ETag`` is its version, for ``If-Match``."""
    out = committed(lambda: ParticipantOut.of(_readable(participant_id)))
    return Reply(out, headers=etag_header(out.version))


def _duplicates(report: people.DuplicateReport) -> Problem:
    """What the person form shows of the matches, as a 409 problem."""
    if report.same_iin:
        title = _("A person with this IIN is already registered")
        detail = _("An IIN belongs to one person only, so this person cannot be saved as a new "
                   "record.")
    else:
        title, detail = _("This person may already be known"), None
    return Problem(409, title, detail, same_iin=report.same_iin,
                   matches=[{"person_id": p.id, "full_name": p.full_name,
                             "birth_date": p.birth_date} for p in report.visible],
                   agencies=[{"id": a.id, "name": a.name} for a in report.hidden_agencies])


def _inputs(body: Any) -> tuple[people.PersonInput, people.ParticipantInput]:
    return (people.PersonInput(**body.model_dump(include=set(PERSON_FIELDS) | {"approx_age"})),
            people.ParticipantInput(**body.model_dump(include=set(PART_FIELDS))))


@operation("POST", "/cases/<int:case_id>/people", summary="Add a person to a case", tag=TAG,
           body=PersonCreate, response=ParticipantOut, status=201,
           permission=Permission.CASE_WRITE, idempotent=True, errors=(403, 409))
def add_person(case_id: int, body: PersonCreate) -> Reply:
    """Add a person as the person form does (the same duplicate check; a 409 problem lists the
    possible matches)."""
    actor = current_actor()
    cases.writable_case(actor, case_id)
    person, part = _inputs(body)
    result = run_action(lambda: people.add_participant(
        actor, case_id, person, part, existing_person_id=body.existing_person_id,
        confirmed_new=body.confirmed_new))
    if isinstance(result, people.DuplicateReport):
        raise _duplicates(result)
    return Reply(ParticipantOut.of(result), status=201, headers={
        "Location": url_for("api.get_person", participant_id=result.id),
        **etag_header(result.version)})


def _merged(participant: CaseParticipant, body: PersonPatch
            ) -> tuple[people.PersonInput, people.ParticipantInput]:
    """The form as it would be filled: the current values, with the ones sent instead."""
    given = body.model_fields_set

    def value(record: Any, name: str) -> Any:
        found = getattr(body, name) if name in given else getattr(record, name)
        if name in TEXTS:
            return found or ""
        return bool(found) if name in FLAGS else found

    return (people.PersonInput(**{n: value(participant.person, n) for n in PERSON_FIELDS}),
            people.ParticipantInput(**{n: value(participant, n) for n in PART_FIELDS}))


@operation("PATCH", "/people/<int:participant_id>", summary="Correct a person of a case",
           tag=TAG, body=PersonPatch, response=ParticipantOut, permission=Permission.CASE_WRITE,
           if_match=True, errors=(403, 412, 428))
def update_person(participant_id: int, body: PersonPatch) -> Reply:
    """Correct a person as the person form does. Requires ``If-Match`` (412 when stale)."""
    actor = current_actor()
    participant = cases.get_participant(actor, participant_id)
    cases.writable_case(actor, participant.case_id)
    version = expected_version(participant.version)
    person, part = _merged(participant, body)
    saved = run_action(lambda: people.update_participant(actor, participant_id, person, part,
                                                         expected_version=version))
    return Reply(ParticipantOut.of(saved), headers=etag_header(saved.version))
