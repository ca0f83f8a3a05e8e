"""The people, incidents and risk assessments of a case, as the case page shows them.

Codes (role, relationship, incident type, reporter, weapon, context, risk level, answer) are the
project's code lists, documented as enums, with labels in the caller's language.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from referral.cases import incidents, risk
from referral.cases.classification import CONTEXTS, GBV_TYPES, OFFENCE_KINDS
from referral.cases.models import (
    PARTICIPANT_ROLE_LABELS,
    RELATIONSHIP_LABELS,
    RISK_LEVEL_LABELS,
    ParticipantRole,
    RiskLevel,
)

Relationship = Literal[tuple(RELATIONSHIP_LABELS)]  # type: ignore[valid-type]
Sex = Literal["female", "male"]
ReportedBy = Literal[tuple(incidents.REPORTED_BY)]  # type: ignore[valid-type]
Weapon = Literal[tuple(incidents.WEAPONS)]  # type: ignore[valid-type]
Context = Literal[tuple(CONTEXTS)]  # type: ignore[valid-type]
GbvType = Literal[tuple(GBV_TYPES)]  # type: ignore[valid-type]
AnswerCode = Literal["yes", "no", "unknown"]
DB_INT = 2**31 - 1


def _label(labels: dict[Any, Any], code: str | None) -> str | None:
    return None if code is None else str(labels.get(code, code))


# --- people --------------------------------------------------------------------------------------


class SafeContactOut(BaseModel):
    safe_phone: str
    safe_times: str
    do_not_contact: bool
    code_word: str
    instructions: str


class ParticipantOut(BaseModel):
    """A person's part in a case (send ``version`` back as ``If-Match`` to change it)."""

    id: int
    case_id: int
    person_id: int
    version: int
    role: ParticipantRole
    role_label: str
    surname: str
    given_name: str
    patronymic: str
    full_name: str
    sex: Sex | None = None
    birth_date: date | None = None
    birth_year_estimate: int | None = None
    iin: str | None = None
    relationship_to_offender: Relationship | None = None
    relationship_label: str | None = None
    phone: str
    has_disability: bool
    disability_note: str
    is_pregnant: bool
    note: str
    safe_contact: SafeContactOut | None = Field(None, description="A survivor's, when recorded.")

    @classmethod
    def of(cls, p: Any) -> ParticipantOut:
        person, contact = p.person, p.safe_contact
        return cls(
            id=p.id, case_id=p.case_id, person_id=p.person_id, version=p.version, role=p.role,
            role_label=_label(PARTICIPANT_ROLE_LABELS, p.role) or "", surname=person.surname,
            given_name=person.given_name, patronymic=person.patronymic,
            full_name=person.full_name, sex=person.sex, birth_date=person.birth_date,
            birth_year_estimate=person.birth_year_estimate, iin=person.iin,
            relationship_to_offender=p.relationship_to_offender,
            relationship_label=_label(RELATIONSHIP_LABELS, p.relationship_to_offender),
            phone=p.phone, has_disability=p.has_disability, disability_note=p.disability_note,
            is_pregnant=p.is_pregnant, note=p.note,
            safe_contact=SafeContactOut.model_validate(contact, from_attributes=True)
            if contact is not None and p.role == ParticipantRole.SURVIVOR else None)


class ParticipantList(BaseModel):
    items: list[ParticipantOut]


class PersonFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    surname: str = Field(min_length=1, max_length=120)
    given_name: str = Field(min_length=1, max_length=120)
    patronymic: str = Field("", max_length=120)
    sex: Sex | None = None
    birth_date: date | None = Field(None, ge=date(1900, 1, 1))
    approx_age: int | None = Field(None, ge=0, le=120, description="When the date is unknown.")
    iin: str = Field("", max_length=40)
    role: ParticipantRole
    relationship_to_offender: Relationship | None = None
    phone: str = Field("", max_length=40)
    has_disability: bool = False
    disability_note: str = Field("", max_length=300)
    is_pregnant: bool = False
    note: str = Field("", max_length=4000)


class PersonCreate(PersonFields):
    """A person to add to the case, as the person form takes them.

    A survivor or alleged offender who may already be known is not saved: the answer is a 409
    problem listing the matches the caller may see (``matches``) and the agencies holding the
    others (``agencies``). Send again with ``existing_person_id`` (the same person) or
    ``confirmed_new: true`` (someone else; never possible for the same IIN).
    """

    existing_person_id: int | None = Field(None, ge=1, le=DB_INT)
    confirmed_new: bool = False


class PersonPatch(BaseModel):
    """Corrections to a person of a case (send its ETag as ``If-Match``); fields left out keep
    their value."""

    model_config = ConfigDict(extra="forbid")

    surname: str | None = Field(None, min_length=1, max_length=120)
    given_name: str | None = Field(None, min_length=1, max_length=120)
    patronymic: str | None = Field(None, max_length=120)
    sex: Sex | None = None
    birth_date: date | None = Field(None, ge=date(1900, 1, 1))
    iin: str | None = Field(None, max_length=40)
    role: ParticipantRole | None = None
    relationship_to_offender: Relationship | None = None
    phone: str | None = Field(None, max_length=40)
    has_disability: bool | None = None
    disability_note: str | None = Field(None, max_length=300)
    is_pregnant: bool | None = None
    note: str | None = Field(None, max_length=4000)


# --- incidents -----------------------------------------------------------------------------------


class IncidentOut(BaseModel):
    id: int
    case_id: int
    occurred_at: datetime
    gbv_type: GbvType
    gbv_type_label: str
    reported_by: ReportedBy
    reported_by_label: str
    place: str
    physical: bool
    sexual: bool
    psychological: bool
    economic: bool
    contexts: list[Context]
    offence_id: int | None = None
    offence_article: str | None = None
    offence_part: str = ""
    offence_title: str | None = None
    offence_kind_label: str | None = None
    female_investigator_requested: bool | None = None
    injuries: str
    weapon: Weapon
    weapon_label: str
    children_present: bool
    children_witnessed: bool
    police_record_number: str
    description: str
    is_repeat: bool
    created_at: datetime

    @classmethod
    def of(cls, i: Any) -> IncidentOut:
        offence = i.offence
        return cls(
            id=i.id, case_id=i.case_id, occurred_at=i.occurred_at, gbv_type=i.gbv_type,
            gbv_type_label=_label(GBV_TYPES, i.gbv_type) or "", reported_by=i.reported_by,
            reported_by_label=_label(incidents.REPORTED_BY, i.reported_by) or "",
            place=i.place, physical=i.physical, sexual=i.sexual,
            psychological=i.psychological, economic=i.economic,
            contexts=[c for c in CONTEXTS if getattr(i, f"context_{c}")],
            offence_id=i.offence_id, offence_article=offence.article if offence else None,
            offence_part=i.offence_part, offence_title=offence.title if offence else None,
            offence_kind_label=_label(OFFENCE_KINDS, offence.kind_of(i.offence_part))
            if offence else None,
            female_investigator_requested=i.female_investigator_requested if i.sexual else None,
            injuries=i.injuries, weapon=i.weapon,
            weapon_label=_label(incidents.WEAPONS, i.weapon) or "",
            children_present=i.children_present, children_witnessed=i.children_witnessed,
            police_record_number=i.police_record_number, description=i.description,
            is_repeat=i.is_repeat, created_at=i.created_at)


class IncidentList(BaseModel):
    items: list[IncidentOut]


class IncidentCreate(BaseModel):
    """An incident, as the incident form takes it; its GBVIMS type and context are worked out
    by the service (``non_gbv`` states that no type of violence applies)."""

    model_config = ConfigDict(extra="forbid")

    occurred_at: AwareDatetime
    reported_by: ReportedBy
    place: str = Field("", max_length=300)
    physical: bool = False
    sexual: bool = False
    psychological: bool = False
    economic: bool = False
    penetration: bool = False
    forced_marriage: bool = False
    offence_id: int | None = Field(None, ge=1, le=DB_INT)
    offence_part: str = Field("", max_length=8)
    injuries: str = Field("", max_length=4000)
    weapon: Weapon = "none"
    children_present: bool = False
    children_witnessed: bool = False
    police_record_number: str = Field("", max_length=60)
    female_investigator_requested: bool | None = None
    description: str = Field("", max_length=20000)
    survivor_participant_id: int | None = Field(None, ge=1, le=DB_INT)
    offender_participant_id: int | None = Field(None, ge=1, le=DB_INT)
    non_gbv: bool = False
    contexts: list[Context] = Field(default_factory=list)

    def input(self) -> incidents.IncidentInput:
        values = self.model_dump()
        values["contexts"] = frozenset(values["contexts"])
        return incidents.IncidentInput(**values)


# --- risk assessments ----------------------------------------------------------------------------


class AssessmentSummary(BaseModel):
    id: int
    case_id: int
    assessed_at: datetime
    level: RiskLevel
    level_label: str
    computed_level: RiskLevel
    override_level: RiskLevel | None = None
    override_reason: str
    score: int = Field(description="Questions answered yes.")
    unknown_count: int
    instrument_version: str

    @classmethod
    def of(cls, a: Any) -> AssessmentSummary:
        return cls(
            id=a.id, case_id=a.case_id, assessed_at=a.assessed_at, level=a.level,
            level_label=_label(RISK_LEVEL_LABELS, a.level) or "",
            computed_level=a.computed_level, override_level=a.override_level,
            override_reason=a.override_reason, score=a.score, unknown_count=a.unknown_count,
            instrument_version=a.instrument_version)


class AssessmentList(BaseModel):
    items: list[AssessmentSummary]


class AnswerOut(BaseModel):
    code: str
    question: str
    group: str = Field(description="red_flag, lethality or empty.")
    answer: AnswerCode | None = None
    comment: str = ""


class ReasonOut(BaseModel):
    text: str
    items: list[str]
    decisive: bool


class AssessmentOut(AssessmentSummary):
    """One assessment as its page shows it: the questions asked, the answers, and why the
    level is what it is."""

    survivor_participant_id: int | None = None
    answers: list[AnswerOut]
    reasons: list[ReasonOut]

    @classmethod
    def build(cls, a: Any) -> AssessmentOut:
        given = a.answers or {}
        return cls(
            **AssessmentSummary.of(a).model_dump(),
            survivor_participant_id=a.survivor_participant_id,
            answers=[AnswerOut(code=code, question=str(question), group=group,
                               answer=(given.get(code) or {}).get("answer"),
                               comment=(given.get(code) or {}).get("comment", ""))
                     for code, question, group in risk.questions_of(a)],
            reasons=[ReasonOut(text=r.text, items=list(r.items), decisive=r.decisive)
                     for r in risk.reasons(a)])


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: AnswerCode
    comment: str = Field("", max_length=2000)


class AssessmentCreate(BaseModel):
    """Answers to every question of the current instrument, by code (``GET /risk-instrument``
    lists them; a 422 problem's ``field`` names the first one missing). The level is computed
    by the service, never sent; professional judgement may only raise it, with a reason."""

    model_config = ConfigDict(extra="forbid")

    answers: dict[str, AnswerIn]
    override_level: Literal["medium", "high"] | None = None
    override_reason: str = Field("", max_length=4000)
    survivor_participant_id: int | None = Field(None, ge=1, le=DB_INT)

    def answer_map(self) -> dict[str, risk.Answer]:
        return {code: risk.Answer(a.answer, a.comment) for code, a in self.answers.items()}


class InstrumentOut(BaseModel):
    """The questions a new assessment answers, in order, and the thresholds of the count."""

    version: str
    questions: list[AnswerOut]
    medium_from: int
    high_from: int
    group_high_from: int | None = None

    @classmethod
    def current(cls) -> InstrumentOut:
        inst, limits = risk.current(), risk.current_thresholds()
        return cls(version=inst.version,
                   questions=[AnswerOut(code=i.code, question=str(i.question), group=i.group)
                              for i in inst.items],
                   medium_from=limits.medium_from, high_from=limits.high_from,
                   group_high_from=limits.group_high_from)
