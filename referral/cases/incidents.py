"""Incidents: what happened, its classification (GBVIMS type and context, Kazakh offence),
repeat flags. The GBVIMS rules themselves live in referral/cases/classification.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import joinedload

from referral.access import scoped
from referral.access.scope import Actor, acting_as, system_actor
from referral.audit import service as audit
from referral.cases import hooks
from referral.cases import service as cases
from referral.cases.classification import (
    CONTEXTS,
    GBV_TYPES,
    OFFENCE_KINDS,
    Facts,
    derived_contexts,
    flag_types,
)
from referral.cases.classification import gbv_type as classify_type
from referral.cases.models import (
    Case,
    CaseParticipant,
    Incident,
    Offence,
    ParticipantRole,
    Person,
)
from referral.errors import DomainError
from referral.events.service import emit
from referral.extensions import db
from referral.models_base import utcnow

REPEAT_WINDOW = timedelta(days=365)

REPORTED_BY = {
    "police_call": _l("Police call-out"),
    "hotline_102": _l("Police line 102"),
    "hotline_111": _l("Contact centre 111"),
    "hotline_112": _l("Emergency line 112"),
    "health": _l("Health service"),
    "school": _l("School or kindergarten"),
    "neighbour": _l("Neighbour or relative"),
    "self": _l("The survivor"),
    "other": _l("Other"),
}
POLICE_CALLOUTS = ("police_call", "hotline_102", "hotline_112")
WEAPONS = {
    "none": _l("No weapon"), "knife": _l("Knife or sharp object"), "firearm": _l("Firearm"),
    "blunt": _l("Blunt object"), "other": _l("Other weapon"),
}
VIOLENCE_TYPES = {
    "physical": _l("Physical"), "sexual": _l("Sexual"),
    "psychological": _l("Psychological"), "economic": _l("Economic"),
}


@dataclass(frozen=True)
class IncidentInput:
    occurred_at: datetime
    reported_by: str
    place: str = ""
    physical: bool = False
    sexual: bool = False
    psychological: bool = False
    economic: bool = False
    penetration: bool = False
    forced_marriage: bool = False
    offence_id: int | None = None
    offence_part: str = ""
    injuries: str = ""
    weapon: str = "none"
    children_present: bool = False
    children_witnessed: bool = False
    police_record_number: str = ""
    female_investigator_requested: bool | None = None
    description: str = ""
    survivor_participant_id: int | None = None
    offender_participant_id: int | None = None
    # The recorder states that none of the types applies (GBVIMS "non-GBV").
    non_gbv: bool = False
    contexts: frozenset[str] = frozenset()

    @property
    def facts(self) -> Facts:
        return Facts(physical=self.physical, sexual=self.sexual or self.penetration,
                     psychological=self.psychological, economic=self.economic,
                     penetration=self.penetration, forced_marriage=self.forced_marriage)


@dataclass(frozen=True)
class Classification:
    """What an incident will be recorded as: shown before saving, then stored."""

    gbv_type: str
    contexts: frozenset[str]
    offence: Offence | None
    offence_part: str = ""

    @property
    def gbv_label(self) -> str:
        return str(GBV_TYPES[self.gbv_type])

    @property
    def context_labels(self) -> list[str]:
        return [str(label) for code, label in CONTEXTS.items() if code in self.contexts]

    @property
    def offence_kind_label(self) -> str:
        if self.offence is None:
            return ""
        return str(OFFENCE_KINDS.get(self.offence.kind_of(self.offence_part), ""))


# --- recording incidents -------------------------------------------------------------------------


def _participant(actor: Actor, case_id: int, participant_id: int | None,
                 role: str) -> CaseParticipant | None:
    """The chosen participant, or the case's only one in that role."""
    with acting_as(actor):
        query = select(CaseParticipant).where(CaseParticipant.case_id == case_id,
                                              CaseParticipant.role == role)
        rows = db.session.execute(query).unique().scalars().all()
    if participant_id is not None:
        match = [p for p in rows if p.id == participant_id]
        if not match:
            field = "survivor_participant_id" if role == ParticipantRole.SURVIVOR else (
                "offender_participant_id")
            raise DomainError(_("Choose a person of this case from the list."), field=field)
        return match[0]
    return rows[0] if len(rows) == 1 else None


def _check(data: IncidentInput, offence: Offence | None) -> None:
    if data.occurred_at > utcnow() + timedelta(minutes=5):
        raise DomainError(_("The incident cannot be in the future. Check the date and time."),
                          field="occurred_at")
    if data.reported_by not in REPORTED_BY:
        raise DomainError(_("Choose who reported the incident."), field="reported_by")
    if data.weapon not in WEAPONS:
        raise DomainError(_("Choose a weapon from the list."), field="weapon")
    if data.contexts - CONTEXTS.keys():
        raise DomainError(_("Choose the context from the list."), field="contexts")
    implied = flag_types(data.facts) | ({offence.gbv_type} if offence and offence.gbv_type
                                        else set())
    if data.non_gbv and implied:
        raise DomainError(_(
            "You marked the incident as not gender-based violence, but a type of violence is "
            "ticked or the offence chosen is one. Untick one of them."), field="non_gbv")
    if not data.non_gbv and not implied:
        raise DomainError(_("Tick at least one type of violence, or mark the incident as not "
                            "gender-based violence."), field="physical")
    if data.offence_part and (offence is None or data.offence_part not in {
            p.part for p in offence.parts}):
        raise DomainError(_("Choose an offence from the list."), field="offence_id")
    if data.offence_id is not None:
        if offence is None:
            raise DomainError(_("Choose an offence from the list."), field="offence_id")
        day = cases.local_date(data.occurred_at)
        if not offence.valid_on(day):
            raise DomainError(_(
                "Article %(article)s did not apply on %(day)s (valid %(start)s – %(end)s). "
                "Choose the article in force on the date of the incident.",
                article=offence.article, day=day.isoformat(),
                start=offence.valid_from.isoformat() if offence.valid_from else "…",
                end=offence.valid_until.isoformat() if offence.valid_until else "…"),
                field="offence_id")


def _classify(actor: Actor, case_id: int, data: IncidentInput
              ) -> tuple[Classification, CaseParticipant | None, CaseParticipant | None]:
    """Check the input and work out its classification (no writes)."""
    offence = db.session.get(Offence, data.offence_id) if data.offence_id else None
    _check(data, offence)
    survivor = _participant(actor, case_id, data.survivor_participant_id,
                            ParticipantRole.SURVIVOR)
    offender = _participant(actor, case_id, data.offender_participant_id,
                            ParticipantRole.ALLEGED_OFFENDER)
    gbv = "non_gbv" if data.non_gbv else classify_type(
        data.facts, offence.gbv_type if offence else "")
    age = survivor.person.age_on(cases.local_date(data.occurred_at)) if survivor else None
    contexts = data.contexts | derived_contexts(
        gbv, relationship=survivor.relationship_to_offender if survivor else None, age=age,
        forced_marriage=data.forced_marriage)
    return (Classification(gbv, frozenset(contexts), offence, data.offence_part), survivor,
            offender)


@scoped
def classify_incident(actor: Actor, case_id: int, data: IncidentInput) -> Classification:
    """What the incident would be recorded as, to show before saving (DomainError if the
    input is refused, exactly as recording would refuse it)."""
    case = cases.writable_case(actor, case_id, "incident_details")
    return _classify(actor, case.id, data)[0]


@scoped
def record_incident(actor: Actor, case_id: int, data: IncidentInput) -> Incident:
    """Record an incident; mark it (and the case) repeat when the same survivor or alleged
    offender had another incident within 12 months, in any case."""
    case = cases.writable_case(actor, case_id, "incident_details")
    result, survivor, offender = _classify(actor, case.id, data)
    fields = {k: v for k, v in data.__dict__.items()
              if k not in ("survivor_participant_id", "offender_participant_id", "non_gbv",
                           "contexts")}
    fields["sexual"] = data.facts.sexual  # penetration is sexual violence, ticked or not
    if not fields["sexual"]:
        fields["female_investigator_requested"] = None
    contexts = {f"context_{code}": code in result.contexts for code in CONTEXTS}
    incident = Incident(case_id=case.id, **fields, **contexts, gbv_type=result.gbv_type,
                        survivor_person_id=survivor.person_id if survivor else None,
                        offender_person_id=offender.person_id if offender else None,
                        recorded_by_id=actor.user_id, recorded_by_agency_id=actor.agency_id)
    db.session.add(incident)
    db.session.flush()
    incident.is_repeat = _is_repeat(incident)
    audit.record("incident.create", object_type="incident", object_id=incident.id,
                 details={"case_id": case.id, "gbv_type": incident.gbv_type,
                          "offence_id": incident.offence_id,
                          "contexts": sorted(result.contexts)})
    cases.add_timeline_entry(actor, case.id, "incident.recorded", category="incident_details",
                             object_type="incident", object_id=incident.id,
                             gbv_type=incident.gbv_type)
    if incident.is_repeat and not case.is_repeat:
        db.session.execute(update(Case.__table__).where(Case.__table__.c.id == case.id)
                           .values(is_repeat=True))
        cases.add_timeline_entry(actor, case.id, "case.repeat", object_type="incident",
                                 object_id=incident.id)
        emit("case.repeat", subject_type="case", subject_id=case.id, incident_id=incident.id)
    db.session.flush()
    hooks.incident_recorded(actor, case, incident)
    return incident


def _is_repeat(incident: Incident) -> bool:
    """Another incident of the same survivor or alleged offender within 12 months, in any case.

    "Same" is the same person record, or a record with the same IIN (an agency that could not
    see the other case registered the person again). Looked up as the system, since the earlier
    incident may be in a case the actor cannot see; only the flag is revealed.
    """
    with acting_as(system_actor("repeat incident check")):
        people = _same_people([incident.survivor_person_id, incident.offender_person_id])
        if not people:
            return False
        count = db.session.execute(select(func.count(Incident.id)).where(
            Incident.id != incident.id,
            or_(Incident.survivor_person_id.in_(people), Incident.offender_person_id.in_(people)),
            Incident.occurred_at >= incident.occurred_at - REPEAT_WINDOW,
            Incident.occurred_at <= incident.occurred_at + REPEAT_WINDOW,
        )).scalar_one()
    return count > 0


def _same_people(person_ids: list[int | None]) -> set[int]:
    ids = {i for i in person_ids if i is not None}
    if not ids:
        return set()
    iins = select(Person.iin).where(Person.id.in_(ids), Person.iin.is_not(None))
    return ids | set(db.session.execute(select(Person.id).where(Person.iin.in_(iins))).scalars())


@scoped
def list_incidents(actor: Actor, case_id: int) -> list[Incident]:
    """The case's incidents, newest first, with their offences and the offences' parts in the
    same statement (the page names each part's kind)."""
    with acting_as(actor):
        return list(db.session.execute(
            select(Incident).where(Incident.case_id == case_id)
            .options(joinedload(Incident.offence).joinedload(Offence.parts))
            .order_by(Incident.occurred_at.desc())).unique().scalars())


@scoped
def police_callouts_12m(actor: Actor, case_id: int,
                        incidents: list[Incident] | None = None) -> int:
    """Police call-outs (police call, 102, 112) to this case in the past 12 months.

    Counted from ``incidents`` when the caller already read all of the case's incidents (the
    case page), so as not to ask the database twice.
    """
    if incidents is not None:
        since = utcnow() - REPEAT_WINDOW
        return sum(1 for i in incidents if i.case_id == case_id
                   and i.reported_by in POLICE_CALLOUTS and i.occurred_at >= since)
    with acting_as(actor):
        return db.session.execute(select(func.count(Incident.id)).where(
            Incident.case_id == case_id, Incident.reported_by.in_(POLICE_CALLOUTS),
            Incident.occurred_at >= utcnow() - REPEAT_WINDOW)).scalar_one()
