"""People in cases: registering them (with the duplicate check), safe contact, search.

An IIN names one person: an exact IIN match is never saved as a second person (the unique index
on ``people.iin`` holds that against two saves at once too); only a near match by name and date
of birth may be, once the user says it is someone else. See duplicates.py for what the user
learns of a match.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from referral.access import scoped
from referral.access.permissions import Permission, role_can
from referral.access.scope import Actor, acting_as
from referral.audit import service as audit
from referral.cases import duplicates as dup
from referral.cases import service as cases
from referral.cases.duplicates import (  # noqa: F401 - the people API callers know
    DuplicateReport,
    PersonInput,
    find_duplicates,
    matching_people,
)
from referral.cases.duplicates import role_category as _category
from referral.cases.iin import IINError, normalise_iin, validate_iin
from referral.cases.models import (
    RELATIONSHIP_LABELS,
    Case,
    CaseParticipant,
    ParticipantRole,
    Person,
    SafeContact,
)
from referral.cases.names import key_matches, name_key, name_words
from referral.cases.scope import visible_categories
from referral.errors import DomainError, NotVisible
from referral.extensions import db

CHECKED_ROLES = (ParticipantRole.SURVIVOR, ParticipantRole.ALLEGED_OFFENDER)


@dataclass(frozen=True)
class ParticipantInput:
    role: str
    relationship_to_offender: str | None = None
    phone: str = ""
    has_disability: bool = False
    disability_note: str = ""
    is_pregnant: bool = False
    note: str = ""


def check_person(data: PersonInput) -> None:
    """Validate a person's identity fields; each mistake names its field and the fix."""
    if not data.surname.strip():
        raise DomainError(_("Enter the surname."), field="surname")
    if not data.given_name.strip():
        raise DomainError(_("Enter the given name."), field="given_name")
    if data.sex not in (None, "", "female", "male"):
        raise DomainError(_("Choose the sex from the list."), field="sex")
    if data.birth_date and data.birth_date > cases.local_today():
        raise DomainError(_("The date of birth cannot be in the future."), field="birth_date")
    if data.approx_age is not None and not 0 <= data.approx_age <= 120:
        raise DomainError(_("Enter an age between 0 and 120."), field="approx_age")
    if data.iin:
        try:
            validate_iin(data.iin, birth_date=data.birth_date, sex=data.sex or None,
                         today=cases.local_today())
        except IINError as err:
            raise DomainError(err.message, field="iin") from None


def _check_participant(data: ParticipantInput) -> None:
    try:
        ParticipantRole(data.role)
    except ValueError:
        raise DomainError(_("Choose the person's role in the case."), field="role") from None
    if data.relationship_to_offender and data.relationship_to_offender not in RELATIONSHIP_LABELS:
        raise DomainError(_("Choose the relationship from the list."),
                          field="relationship_to_offender")


def _new_person(actor: Actor, data: PersonInput) -> Person:
    estimate = None
    if data.birth_date is None and data.approx_age is not None:
        estimate = cases.local_today().year - data.approx_age
    person = Person(
        surname=data.surname.strip(), given_name=data.given_name.strip(),
        patronymic=data.patronymic.strip(), sex=data.sex or None, birth_date=data.birth_date,
        birth_year_estimate=estimate, iin=data.iin or None,
        name_key=name_key(data.surname, data.given_name, data.patronymic),
        created_by_agency_id=actor.agency_id,
    )
    db.session.add(person)
    db.session.flush()
    return person


@scoped
def add_participant(actor: Actor, case_id: int, person: PersonInput, part: ParticipantInput, *,
                    existing_person_id: int | None = None, confirmed_new: bool = False
                    ) -> CaseParticipant | DuplicateReport:
    """Add a person to a case. For survivors and alleged offenders, matches are returned first
    (a DuplicateReport) unless the user chose an existing person or confirmed a new one."""
    case = cases.writable_case(actor, case_id)
    _check_participant(part)
    if existing_person_id is not None:
        with acting_as(actor):
            found = db.session.execute(
                select(Person).where(Person.id == existing_person_id)).scalar_one_or_none()
        if found is None:
            raise NotVisible("person", existing_person_id)
        subject = found
    else:
        check_person(person)
        holder = dup.iin_holder(person.iin)
        if holder is not None:  # whatever the role, and even when "a different person" was chosen
            return dup.same_iin_outcome(actor, holder, case.id)
        if part.role in CHECKED_ROLES and not confirmed_new:
            report = find_duplicates(actor, person, case_id=case.id)
            if report:
                return report
        try:
            with db.session.begin_nested():
                subject = _new_person(actor, person)
        except IntegrityError as err:
            # Saved at the same moment by someone else: the same outcome as if it had been first.
            holder = dup.iin_holder(person.iin) if dup.is_iin_clash(err) else None
            if holder is None:
                raise
            return dup.same_iin_outcome(actor, holder, case.id)
    with acting_as(actor):
        already = db.session.execute(select(CaseParticipant.id).where(
            CaseParticipant.case_id == case.id, CaseParticipant.person_id == subject.id)
        ).scalar_one_or_none()
    if already is not None:
        raise DomainError(_("This person is already in the case."), field="surname")
    participant = CaseParticipant(
        case_id=case.id, person_id=subject.id, role=part.role,
        relationship_to_offender=part.relationship_to_offender or None, phone=part.phone.strip(),
        has_disability=part.has_disability, disability_note=part.disability_note.strip(),
        is_pregnant=part.is_pregnant, note=part.note.strip(), added_by_id=actor.user_id,
    )
    db.session.add(participant)
    db.session.flush()
    audit.record("participant.add", object_type="participant", object_id=participant.id,
                 details={"case_id": case.id, "role": part.role, "person_id": subject.id})
    cases.add_timeline_entry(
        actor, case.id, "participant.added", category=_category(part.role),
        object_type="participant", object_id=participant.id, role=part.role)
    return participant


@scoped
def update_participant(actor: Actor, participant_id: int, person: PersonInput,
                       part: ParticipantInput, *, expected_version: int) -> CaseParticipant:
    participant = cases.get_participant(actor, participant_id)
    cases.writable_case(actor, participant.case_id)
    cases.check_version(participant, expected_version, what=_("person"))
    _check_participant(part)
    check_person(person)
    subject = participant.person
    if dup.iin_holder(person.iin, other_than=subject.id) is not None:
        raise DomainError(dup.iin_taken_message(), field="iin")
    subject.surname, subject.given_name = person.surname.strip(), person.given_name.strip()
    subject.patronymic = person.patronymic.strip()
    subject.sex, subject.birth_date, subject.iin = person.sex or None, person.birth_date, (
        person.iin or None)
    if person.birth_date is None and person.approx_age is not None:
        subject.birth_year_estimate = cases.local_today().year - person.approx_age
    subject.name_key = name_key(person.surname, person.given_name, person.patronymic)
    for name in ("role", "phone", "has_disability", "disability_note", "is_pregnant", "note"):
        setattr(participant, name, getattr(part, name))
    participant.relationship_to_offender = part.relationship_to_offender or None
    try:
        db.session.flush()
    except IntegrityError as err:
        # Another person got this IIN at the same moment; the action's rollback undoes the rest.
        if dup.is_iin_clash(err):
            raise DomainError(dup.iin_taken_message(), field="iin") from None
        raise
    audit.record("participant.update", object_type="participant", object_id=participant.id,
                 details={"case_id": participant.case_id})
    cases.add_timeline_entry(actor, participant.case_id, "participant.updated",
                             category=_category(participant.role), object_type="participant",
                             object_id=participant.id, role=participant.role)
    return participant


# --- safe contact --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SafeContactInput:
    safe_phone: str = ""
    safe_times: str = ""
    do_not_contact: bool = False
    code_word: str = ""
    instructions: str = ""


@scoped
def save_safe_contact(actor: Actor, participant_id: int, data: SafeContactInput, *,
                      expected_version: int | None) -> SafeContact:
    participant = cases.get_participant(actor, participant_id)
    cases.writable_case(actor, participant.case_id, "identity_contact")
    if participant.role != ParticipantRole.SURVIVOR:
        raise DomainError(_("A safe contact is recorded for a survivor."), field="safe_phone")
    contact = participant.safe_contact
    if contact is None:
        contact = SafeContact(case_id=participant.case_id, participant_id=participant.id)
        db.session.add(contact)
    else:
        cases.check_version(contact, expected_version, what=_("safe contact"))
    for name in ("safe_phone", "safe_times", "code_word", "instructions"):
        setattr(contact, name, getattr(data, name).strip())
    contact.do_not_contact = data.do_not_contact
    db.session.flush()
    audit.record("safe_contact.save", object_type="participant", object_id=participant.id,
                 details={"case_id": participant.case_id})
    cases.add_timeline_entry(actor, participant.case_id, "safe_contact.updated",
                             category="identity_contact", object_type="participant",
                             object_id=participant.id)
    return contact


@scoped
def safe_contacts_for_case(actor: Actor, case_id: int) -> list[CaseParticipant]:
    """Survivors of the case with their safe contact, for every page where contact is made
    (empty when the actor does not read identity and contact details)."""
    case = cases.load_case(actor, case_id)
    if "identity_contact" not in visible_categories(actor, case):
        return []
    return cases.list_participants(actor, case_id, roles=(ParticipantRole.SURVIVOR,))


# --- search --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    case: Case
    participant: CaseParticipant | None


@scoped
def search_cases(actor: Actor, term: str, *, limit: int = 50) -> list[SearchHit]:
    """By case reference, IIN (exact) or name (tolerant of spelling). Audited without the term."""
    if not role_can(actor.role, Permission.CASE_READ):
        return []
    term = (term or "").strip()
    digits = normalise_iin(term)
    kind = "reference" if term.upper().startswith("KZ-") else (
        "iin" if digits.isascii() and digits.isdigit() and len(digits) == 12 else "name")
    if kind == "iin":
        term = digits
    hits: list[SearchHit] = []
    with acting_as(actor):
        if kind == "reference":
            found = db.session.execute(
                select(Case).where(Case.reference == term.upper())).scalars().all()
            hits = [SearchHit(c, None) for c in found]
        elif term:
            query = select(CaseParticipant, Case).join(Case, Case.id == CaseParticipant.case_id)
            query = query.join(Person, Person.id == CaseParticipant.person_id)
            if kind == "iin":
                query = query.where(Person.iin == term)
            else:
                words = name_words(term)
                if not words:
                    query = query.where(Person.id.is_(None))
                for word in words:
                    query = query.where(Person.name_key.contains(word, autoescape=True))
            rows = db.session.execute(query.order_by(Case.created_at.desc()).limit(limit)).all()
            hits = [SearchHit(c, p) for p, c in rows
                    if (kind == "iin" or key_matches(p.person.name_key, term))
                    and _category(p.role) in visible_categories(actor, c)]
    audit.record("case.search", object_type="case",
                 details={"kind": kind, "results": len(hits)})
    return hits
