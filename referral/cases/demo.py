"""Demo cases: synthetic families (made-up names, synthetic IINs from the reference notes).

Idempotent: a case is recognised by its fixed creation token and not created twice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from referral.accounts.service import actor_for
from referral.cases import incidents, measures, notes, people, risk
from referral.cases import service as cases
from referral.cases.models import Case, Offence
from referral.extensions import db

SURVIVOR = people.PersonInput(surname="Demo-Nurlanova", given_name="Aigul",
                              patronymic="Serikovna", sex="female", birth_date=date(1985, 7, 22),
                              iin="850722499909")
OFFENDER = people.PersonInput(surname="Demo-Nurlanov", given_name="Marat", sex="male",
                              birth_date=date(1990, 1, 15), iin="900115399904")
CHILDREN = (
    people.PersonInput(surname="Demo-Nurlanova", given_name="Dana", sex="female",
                       birth_date=date(2016, 4, 2)),
    people.PersonInput(surname="Demo-Nurlanov", given_name="Timur", sex="male", approx_age=5),
)
SURVIVOR_2 = people.PersonInput(surname="Demo-Sadykova", given_name="Zhanna", sex="female",
                                birth_date=date(2003, 11, 11), iin="031111699901")
OFFENDER_2 = people.PersonInput(surname="Demo-Sadykov", given_name="Yerlan", sex="male",
                                birth_date=date(2002, 3, 30), iin="020330599901")


def _answers(*yes: str, unknown: tuple[str, ...] = ()) -> dict[str, risk.Answer]:
    return {code: risk.Answer("yes" if code in yes else "unknown" if code in unknown else "no")
            for code in risk.FACTOR_CODES}


# The issue-19 case: two red flags and three strong predictors, once rated "standard" (5 yes).
_LETHAL = ("strangulation", "threat_to_kill", "gun_access", "separation", "very_frightened")
# Counted-only questions: the level comes from the count (11 → medium, 5 → standard).
_COUNTED = ("current_injury", "isolation", "low_mood", "child_contact", "pregnancy",
            "harmed_dependants", "escalation_frequency", "sexual_abuse", "money_control",
            "substance_misuse", "criminal_history")


def _offence(article: str) -> int | None:
    return db.session.execute(select(Offence.id).where(Offence.article == article)
                              ).scalars().first()


def _exists(key: str) -> bool:
    return db.session.execute(select(Case.id).where(Case.creation_token == key)
                              ).scalar_one_or_none() is not None


def _family(actor: Any, case: Case, survivor: people.PersonInput,
            offender: people.PersonInput, children: tuple[people.PersonInput, ...]) -> dict:
    add = people.add_participant
    s = add(actor, case.id, survivor, people.ParticipantInput(
        role="survivor", relationship_to_offender="former_spouse", phone="+7 700 000 00 01"),
        confirmed_new=True)
    o = add(actor, case.id, offender, people.ParticipantInput(
        role="alleged_offender", relationship_to_offender="self"), confirmed_new=True)
    for child in children:
        add(actor, case.id, child, people.ParticipantInput(
            role="child", relationship_to_offender="child"), confirmed_new=True)
    return {"survivor": s, "offender": o}


def seed(agencies: dict[str, Any], users: dict[str, Any]) -> None:
    """Two demo cases in Almaty (one high risk with an order in force) and one in Kyzylorda."""
    police = actor_for(users["police"])
    demo_key = "00000000-demo-0000-0000-000000000001"
    if not _exists(demo_key):
        case = cases.open_case(police, cases.CaseInput(
            region_code="KZ-75", district_id=agencies["almaty_police"].district_id,
            address="Demo street 1, flat 2", languages=("kk", "ru")), creation_token=demo_key)
        fam = _family(police, case, SURVIVOR, OFFENDER, CHILDREN)
        people.save_safe_contact(police, fam["survivor"].id, people.SafeContactInput(
            safe_phone="+7 700 000 00 09", safe_times="weekdays 10:00-12:00",
            code_word="apricot"), expected_version=None)
        incidents.record_incident(police, case.id, incidents.IncidentInput(
            occurred_at=datetime.now(UTC) - timedelta(days=3), reported_by="hotline_102",
            physical=True, psychological=True, offence_id=_offence("109-1"),
            injuries="bruises on the arms", children_present=True, children_witnessed=True,
            police_record_number="DEMO-0001"))
        risk.record_assessment(police, case.id, _answers(*_LETHAL, "current_injury",
                                                        unknown=("believes_will_kill",)),
                               survivor_participant_id=fam["survivor"].id)
        measures.issue_measure(police, case.id, measures.MeasureInput(
            measure_type="protective_order", starts_on=cases.local_today(),
            against_participant_id=fam["offender"].id,
            conditions="No contact with the survivor and the children."))
        notes.add_note(police, case.id, "Demo note: the survivor agreed to a referral to the "
                                        "crisis centre.")
    demo_key = "00000000-demo-0000-0000-000000000002"
    if not _exists(demo_key):
        case = cases.open_case(police, cases.CaseInput(region_code="KZ-75",
                                                       languages=("ru",)),
                               creation_token=demo_key)
        _family(police, case, SURVIVOR_2, OFFENDER_2, ())
        risk.record_assessment(police, case.id, _answers(*_COUNTED))
    demo_key = "00000000-demo-0000-0000-000000000003"
    if not _exists(demo_key) and "aral.police" in users:
        aral = actor_for(users["aral.police"])
        case = cases.open_case(aral, cases.CaseInput(region_code="KZ-43", languages=("kk",)),
                               creation_token=demo_key)
        people.add_participant(aral, case.id, people.PersonInput(
            surname="Demo-Omarova", given_name="Saule", sex="female", approx_age=34),
            people.ParticipantInput(role="survivor"), confirmed_new=True)
        risk.record_assessment(aral, case.id, _answers(*_COUNTED[:5],
                                                       unknown=("order_breach",)))
