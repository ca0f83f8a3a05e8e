"""Factories for the cases domain: a case with its family, incidents, assessments."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from referral.access.scope import Actor, acting_as, system_actor
from referral.cases import incidents, people, risk
from referral.cases import service as cases
from referral.cases.models import Case, CaseParticipant, Offence
from referral.extensions import db

SURVIVOR = people.PersonInput(surname="Testova", given_name="Aigul", patronymic="Serikovna",
                              sex="female", birth_date=date(1985, 7, 22), iin="850722499909")
OFFENDER = people.PersonInput(surname="Testov", given_name="Marat", sex="male",
                              birth_date=date(1990, 1, 15), iin="900115399904")


def as_system() -> Any:
    """Read as the system in a test (scoped models refuse queries without an actor)."""
    return acting_as(system_actor("test"))


def open_case(actor: Actor, region: str = "KZ-75", **fields: Any) -> Case:
    data = cases.CaseInput(region_code=region, address=fields.pop("address", "Flat 1, Street 2"),
                           languages=fields.pop("languages", ("kk", "ru")), **fields)
    return cases.open_case(actor, data, creation_token=cases.new_creation_token())


def add_person(actor: Actor, case: Case, person: people.PersonInput, role: str,
               **part: Any) -> CaseParticipant:
    """Add ``person`` as new; when their IIN is already a person's (one person per IIN), link
    that person if the actor sees them, else register this one without the IIN."""
    role_part = people.ParticipantInput(role=role, **part)
    result = people.add_participant(actor, case.id, person, role_part, confirmed_new=True)
    if isinstance(result, people.DuplicateReport) and result.same_iin:
        if result.visible:
            result = people.add_participant(actor, case.id, person, role_part,
                                            existing_person_id=result.visible[0].id)
        else:
            result = people.add_participant(actor, case.id, replace(person, iin=""), role_part,
                                            confirmed_new=True)
    assert isinstance(result, CaseParticipant)
    return result


def family_case(actor: Actor, region: str = "KZ-75") -> tuple[Case, dict[str, CaseParticipant]]:
    case = open_case(actor, region)
    members = {
        "survivor": add_person(actor, case, SURVIVOR, "survivor",
                               relationship_to_offender="former_spouse", phone="+7 700 111 2233"),
        "offender": add_person(actor, case, OFFENDER, "alleged_offender",
                               relationship_to_offender="self"),
        "child": add_person(actor, case, people.PersonInput(
            surname="Testova", given_name="Dana", sex="female", birth_date=date(2015, 3, 1)),
            "child", relationship_to_offender="child"),
    }
    return case, members


def offence(article: str) -> Offence:
    return db.session.execute(select(Offence).where(Offence.article == article)).scalar_one()


def incident_input(**fields: Any) -> incidents.IncidentInput:
    values: dict[str, Any] = {"occurred_at": datetime.now(UTC) - timedelta(hours=2),
                              "reported_by": "police_call", "physical": True}
    values.update(fields)
    return incidents.IncidentInput(**values)


def count_order() -> list[str]:
    """The current questions, those counted only first, then the danger signs, the red flags
    last: the first n as "yes" give the level of the count alone while n <= 17 + 3."""
    rank = {"": 0, risk.LETHALITY: 1, risk.RED_FLAG: 2}
    return [i.code for i in sorted(risk.current().items, key=lambda i: rank[i.group])]


def answers(yes: int, unknown: int = 0, **given: str) -> dict[str, risk.Answer]:
    """``yes`` answers counted only (see count_order), then ``unknown``; ``given`` sets codes."""
    out = {}
    for i, code in enumerate(count_order()):
        value = "yes" if i < yes else "unknown" if i < yes + unknown else "no"
        out[code] = risk.Answer(given.get(code, value))
    return out
