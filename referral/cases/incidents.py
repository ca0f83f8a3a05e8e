"""Incidents: what happened, its classification (GBVIMS type, Kazakh offence), repeat flags."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update

from referral.access.scope import Actor, acting_as, system_actor
from referral.audit import service as audit
from referral.cases import service as cases
from referral.cases.models import (
    Case,
    CaseParticipant,
    Incident,
    Offence,
    ParticipantRole,
    Person,
)
from referral.cases.service import scoped
from referral.errors import DomainError
from referral.events.service import emit
from referral.extensions import db
from referral.models_base import utcnow
from referral.paths import PROJECT_ROOT

OFFENCES_FILE = PROJECT_ROOT / "referral" / "data" / "offences.json"
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
GBV_TYPES = {
    "rape": _l("Rape"),
    "sexual_assault": _l("Sexual assault"),
    "physical_assault": _l("Physical assault"),
    "forced_marriage": _l("Forced marriage"),
    "denial_of_resources": _l("Denial of resources, opportunities or services"),
    "psychological_abuse": _l("Psychological / emotional abuse"),
    "non_gbv": _l("Not gender-based violence"),
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
    injuries: str = ""
    weapon: str = "none"
    children_present: bool = False
    children_witnessed: bool = False
    police_record_number: str = ""
    female_investigator_requested: bool | None = None
    description: str = ""
    survivor_participant_id: int | None = None
    offender_participant_id: int | None = None


def gbv_type(data: IncidentInput) -> str:
    """GBVIMS: one type per incident, the first rule that holds, in this order."""
    rules = (
        ("rape", data.sexual and data.penetration),
        ("sexual_assault", data.sexual),
        ("physical_assault", data.physical),
        ("forced_marriage", data.forced_marriage),
        ("denial_of_resources", data.economic),
        ("psychological_abuse", data.psychological),
    )
    return next((code for code, holds in rules if holds), "non_gbv")


# --- offences (reference data) -------------------------------------------------------------------


def list_offences(on: date | None = None) -> list[Offence]:
    rows = db.session.execute(select(Offence).order_by(Offence.code.desc(), Offence.id)).scalars()
    return [o for o in rows if on is None or o.valid_on(on)]


def load_offences(path: str | None = None) -> int:
    """Add offences of the data file that are missing (by code, article, valid_from)."""
    source = Path(path) if path else OFFENCES_FILE
    rows = json.loads(source.read_text(encoding="utf-8"))["offences"]
    added = 0
    for row in rows:
        valid_from = date.fromisoformat(row["valid_from"]) if row["valid_from"] else None
        exists = db.session.execute(select(Offence.id).where(
            Offence.code == row["code"], Offence.article == row["article"],
            Offence.valid_from.is_(None) if valid_from is None else Offence.valid_from == valid_from
        )).scalar_one_or_none()
        if exists is None:
            add_offence(**row)
            added += 1
    return added


def add_offence(*, code: str, article: str, title_en: str, kind: str, title_ru: str = "",
                title_kk: str = "", violence_types: str = "", valid_from: str | date | None = None,
                valid_until: str | date | None = None) -> Offence:
    """Extend the reference table (administrators, CLI). Dates as ISO strings or dates."""
    if code not in ("criminal", "administrative"):
        raise DomainError(_("The code must be criminal or administrative."), field="code")
    if kind not in ("crime", "criminal_misdemeanour", "administrative"):
        raise DomainError(_("Choose the kind of offence."), field="kind")
    if not article.strip() or not title_en.strip():
        raise DomainError(_("Enter the article and its English title."), field="article")

    def as_date(value: str | date | None) -> date | None:
        return date.fromisoformat(value) if isinstance(value, str) and value else (
            value if isinstance(value, date) else None)

    offence = Offence(code=code, article=article.strip(), title_en=title_en.strip(),
                      title_ru=title_ru.strip(), title_kk=title_kk.strip(), kind=kind,
                      violence_types=violence_types, valid_from=as_date(valid_from),
                      valid_until=as_date(valid_until))
    if offence.valid_from and offence.valid_until and offence.valid_until < offence.valid_from:
        raise DomainError(_("The end of validity cannot be before its start."),
                          field="valid_until")
    db.session.add(offence)
    db.session.flush()
    audit.record("offence.add", object_type="offence", object_id=offence.id)
    return offence


# --- recording incidents -------------------------------------------------------------------------


def _participant_person(actor: Actor, case_id: int, participant_id: int | None,
                        role: str) -> int | None:
    """The person behind the chosen participant, or the case's only one in that role."""
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
        return match[0].person_id
    return rows[0].person_id if len(rows) == 1 else None


def _check(data: IncidentInput, offence: Offence | None) -> None:
    if data.occurred_at > utcnow() + timedelta(minutes=5):
        raise DomainError(_("The incident cannot be in the future. Check the date and time."),
                          field="occurred_at")
    if data.reported_by not in REPORTED_BY:
        raise DomainError(_("Choose who reported the incident."), field="reported_by")
    if data.weapon not in WEAPONS:
        raise DomainError(_("Choose a weapon from the list."), field="weapon")
    if not (data.physical or data.sexual or data.psychological or data.economic):
        raise DomainError(_("Tick at least one type of violence."), field="physical")
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


@scoped
def record_incident(actor: Actor, case_id: int, data: IncidentInput) -> Incident:
    """Record an incident; mark it (and the case) repeat when the same survivor or alleged
    offender had another incident within 12 months, in any case."""
    case = cases.writable_case(actor, case_id, "incident_details")
    offence = db.session.get(Offence, data.offence_id) if data.offence_id else None
    _check(data, offence)
    survivor = _participant_person(actor, case.id, data.survivor_participant_id,
                                   ParticipantRole.SURVIVOR)
    offender = _participant_person(actor, case.id, data.offender_participant_id,
                                   ParticipantRole.ALLEGED_OFFENDER)
    fields = {k: v for k, v in data.__dict__.items()
              if k not in ("survivor_participant_id", "offender_participant_id")}
    if not data.sexual:
        fields["female_investigator_requested"] = None
        fields["penetration"] = False
    incident = Incident(case_id=case.id, **fields, gbv_type=gbv_type(data),
                        survivor_person_id=survivor, offender_person_id=offender,
                        recorded_by_id=actor.user_id, recorded_by_agency_id=actor.agency_id)
    db.session.add(incident)
    db.session.flush()
    incident.is_repeat = _is_repeat(incident)
    audit.record("incident.create", object_type="incident", object_id=incident.id,
                 details={"case_id": case.id, "gbv_type": incident.gbv_type,
                          "offence_id": incident.offence_id})
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
    with acting_as(actor):
        return list(db.session.execute(
            select(Incident).where(Incident.case_id == case_id)
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
