"""The duplicate check: who a person being registered may already be.

Looks across every case under an explicit system actor and tells the user about a match only
what they may learn: the people in cases they see, the owning agency's name for the rest, and
nothing of a restricted case they are not named on. An exact IIN match is one person for certain
(``same_iin_outcome``); a close name with the same date of birth is only possibly one.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from referral.access import scoped
from referral.access.scope import Actor, acting_as, system_actor
from referral.agencies.models import Agency
from referral.audit import service as audit
from referral.cases.iin import normalise_iin
from referral.cases.models import Case, CaseMember, CaseParticipant, ParticipantRole, Person
from referral.cases.names import name_key
from referral.cases.scope import visible_case_ids, visible_categories
from referral.errors import DomainError
from referral.extensions import db

NAME_SIMILARITY = 0.85


@dataclass(frozen=True)
class PersonInput:
    """Who a person is, as typed: checked for duplicates before it is saved (people.py)."""

    surname: str
    given_name: str
    patronymic: str = ""
    sex: str | None = None
    birth_date: date | None = None
    approx_age: int | None = None
    iin: str = ""

    def __post_init__(self) -> None:
        # Compared and stored as typed without separators: one person, one string.
        object.__setattr__(self, "iin", normalise_iin(self.iin))


@dataclass
class DuplicateReport:
    """What the user may learn about matches: visible people, and agencies for the rest.

    ``same_iin``: the match holds the IIN entered, so the person can only be added to the case
    (or access asked for), never saved again.
    """

    visible: list[Person] = field(default_factory=list)
    hidden_agencies: list[Agency] = field(default_factory=list)
    same_iin: bool = False

    def __bool__(self) -> bool:
        return bool(self.visible or self.hidden_agencies)


def role_category(role: str) -> str:
    """The data category a participant's identity falls under for their role."""
    return "children" if role == ParticipantRole.CHILD else "identity_contact"


def _similar(a: str, b: str) -> bool:
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= NAME_SIMILARITY


def matching_people(data: PersonInput) -> list[Person]:
    """People matching by exact IIN, or by a close name and the same date of birth."""
    clauses = []
    if data.iin:
        clauses.append(Person.iin == data.iin)
    if data.birth_date:
        clauses.append(Person.birth_date == data.birth_date)
    if not clauses:
        return []
    rows = db.session.execute(select(Person).where(or_(*clauses))).scalars().all()
    key = name_key(data.surname, data.given_name)
    found = []
    for person in rows:
        same_iin = bool(data.iin) and person.iin == data.iin
        close = person.birth_date == data.birth_date and _similar(
            key, name_key(person.surname, person.given_name))
        if same_iin or close:
            found.append(person)
    return found


@scoped
def find_duplicates(actor: Actor, data: PersonInput, *, case_id: int | None = None
                    ) -> DuplicateReport:
    """Matches the actor may see, and the names of agencies that hold the others.

    Runs as a system actor because it must look beyond the actor's scope; it reveals only an
    agency name, never a case, and ignores restricted cases the actor is not named on.
    """
    with acting_as(system_actor("duplicate check")):
        matches = matching_people(data)
    if not matches:
        return DuplicateReport()
    report = _report(actor, matches, case_id=case_id)
    audit.record("person.duplicate_check", object_type="case", object_id=case_id,
                 details={"visible": len(report.visible),
                          "hidden_agencies": sorted(a.id for a in report.hidden_agencies)})
    return report


def _report(actor: Actor, matches: list[Person], *, case_id: int | None) -> DuplicateReport:
    """Split ``matches`` into the people the actor may see (in a case they see, in a role whose
    category they read) and the agencies holding the rest; restricted cases the actor is not
    named on give nothing, not even the agency."""
    report = DuplicateReport()
    with acting_as(system_actor("duplicate check")):
        ids = [p.id for p in matches]
        rows = db.session.execute(
            select(CaseParticipant.person_id, CaseParticipant.role, Case)
            .join(Case, Case.id == CaseParticipant.case_id)
            .where(CaseParticipant.person_id.in_(ids))
        ).all()
        named = set(db.session.execute(
            select(CaseMember.case_id).where(CaseMember.user_id == actor.user_id)).scalars())
    with acting_as(actor):
        visible_cases = set(db.session.execute(visible_case_ids(actor)).scalars())
    visible_people: set[int] = set()
    hidden_agency_ids: set[int] = set()
    for person_id, role, match in rows:
        if match.id == case_id:
            continue
        if match.id in visible_cases and role_category(role) in visible_categories(actor, match):
            visible_people.add(person_id)
        elif not match.restricted or match.id in named:
            hidden_agency_ids.add(match.owner_agency_id)
    report.visible = [p for p in matches if p.id in visible_people]
    if hidden_agency_ids:
        report.hidden_agencies = list(db.session.execute(
            select(Agency).where(Agency.id.in_(hidden_agency_ids)).order_by(Agency.name)
        ).scalars())
    return report


def iin_holder(iin: str, *, other_than: int | None = None) -> Person | None:
    """The person registered with this (normalised) IIN, looked up beyond any scope: the
    caller decides what the user may learn of them."""
    if not iin:
        return None
    with acting_as(system_actor("duplicate check: IIN")):
        query = select(Person).where(Person.iin == iin)
        if other_than is not None:
            query = query.where(Person.id != other_than)
        return db.session.execute(query).scalars().first()


def iin_taken_message() -> str:
    return _("A person with this IIN is already registered, and an IIN belongs to one person "
             "only. Check the IIN; if it is right, ask your agency manager or the coordinator "
             "of your region to find the record.")


def same_iin_outcome(actor: Actor, holder: Person, case_id: int) -> DuplicateReport:
    """What to offer when the IIN entered is already a person's: add that person (visible) or
    ask the agencies holding them (not visible). Nothing visible and no agency to ask (a
    restricted case, or a person in no case) is refused at the IIN field, naming no one."""
    with acting_as(system_actor("duplicate check: IIN")):
        here = db.session.execute(select(CaseParticipant.id).where(
            CaseParticipant.case_id == case_id, CaseParticipant.person_id == holder.id)
        ).scalar_one_or_none()
    if here is not None:
        raise DomainError(_("This person is already in the case."), field="iin")
    report = _report(actor, [holder], case_id=case_id)
    report.same_iin = True
    audit.record("person.duplicate_check", object_type="case", object_id=case_id,
                 details={"same_iin": True, "visible": len(report.visible),
                          "hidden_agencies": sorted(a.id for a in report.hidden_agencies)})
    if not report:
        raise DomainError(iin_taken_message(), field="iin")
    return report


def is_iin_clash(err: IntegrityError) -> bool:
    """The unique index on people.iin refused the row (SQLite names the column, PostgreSQL
    the index)."""
    text = str(err.orig if err.orig is not None else err)
    return "people.iin" in text or "uq_people_iin" in text
