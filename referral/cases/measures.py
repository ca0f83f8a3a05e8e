"""Protective measures: their types and durations are data (referral/data/measure_types.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from referral.access.scope import Actor, acting_as
from referral.audit import service as audit
from referral.cases import service as cases
from referral.cases.models import (
    CaseParticipant,
    MeasureBreach,
    ParticipantRole,
    ProtectiveMeasure,
)
from referral.cases.service import scoped
from referral.errors import DomainError, NotVisible
from referral.events.service import emit
from referral.extensions import db
from referral.models_base import utcnow
from referral.paths import PROJECT_ROOT

MEASURE_TYPES_FILE = PROJECT_ROOT / "referral" / "data" / "measure_types.json"


@dataclass(frozen=True)
class MeasureType:
    code: str
    default_days: int | None
    min_days: int | None
    max_days: int | None
    end_set_by_court: bool
    issued_by: str
    titles: dict[str, str]
    legal_basis: str

    @property
    def title(self) -> str:
        try:
            lang = str(get_locale() or "en")[:2]
        except (RuntimeError, AttributeError):
            lang = "en"
        return self.titles.get(lang) or self.titles["en"]

    def default_end(self, start: date) -> date | None:
        """The default last day: a 30-day order issued on the 1st runs to the 30th."""
        return start + timedelta(days=self.default_days - 1) if self.default_days else None


@lru_cache(maxsize=1)
def measure_types() -> dict[str, MeasureType]:
    rows: list[dict[str, Any]] = json.loads(
        MEASURE_TYPES_FILE.read_text(encoding="utf-8"))["measure_types"]
    return {
        r["code"]: MeasureType(
            code=r["code"], default_days=r["default_days"], min_days=r["min_days"],
            max_days=r["max_days"], end_set_by_court=r["end_set_by_court"],
            issued_by=r["issued_by"],
            titles={k[6:]: v for k, v in r.items() if k.startswith("title_")},
            legal_basis=r["legal_basis"])
        for r in rows
    }


@dataclass(frozen=True)
class MeasureInput:
    measure_type: str
    starts_on: date
    ends_on: date | None = None
    against_participant_id: int | None = None
    issuing_body: str = ""
    document_number: str = ""
    conditions: str = ""


def _end_date(kind: MeasureType, data: MeasureInput) -> date:
    end = data.ends_on or kind.default_end(data.starts_on)
    if end is None:
        message = (_("Enter the end date the court set.") if kind.end_set_by_court
                   else _("Enter the end date."))
        raise DomainError(message, field="ends_on")
    if end < data.starts_on:
        raise DomainError(_("The end date cannot be before the start date."), field="ends_on")
    days = (end - data.starts_on).days + 1
    if kind.max_days and days > kind.max_days:
        raise DomainError(_("A %(kind)s lasts at most %(n)d days (%(basis)s). Check the end "
                            "date.", kind=kind.title, n=kind.max_days, basis=kind.legal_basis),
                          field="ends_on")
    if kind.min_days and days < kind.min_days:
        raise DomainError(_("A %(kind)s lasts at least %(n)d days (%(basis)s). Check the end "
                            "date.", kind=kind.title, n=kind.min_days, basis=kind.legal_basis),
                          field="ends_on")
    return end


@scoped
def issue_measure(actor: Actor, case_id: int, data: MeasureInput) -> ProtectiveMeasure:
    case = cases.writable_case(actor, case_id, "incident_details")
    kind = measure_types().get(data.measure_type)
    if kind is None:
        raise DomainError(_("Choose the type of measure."), field="measure_type")
    end = _end_date(kind, data)
    if data.against_participant_id is not None:
        with acting_as(actor):
            found = db.session.execute(select(CaseParticipant.id).where(
                CaseParticipant.id == data.against_participant_id,
                CaseParticipant.case_id == case.id,
                CaseParticipant.role == ParticipantRole.ALLEGED_OFFENDER)).scalar_one_or_none()
        if found is None:
            raise DomainError(_("Choose the alleged offender of this case."),
                              field="against_participant_id")
    measure = ProtectiveMeasure(
        case_id=case.id, measure_type=kind.code, legal_basis=kind.legal_basis,
        against_participant_id=data.against_participant_id,
        issuing_agency_id=actor.agency_id if kind.issued_by != "court" else None,
        issuing_body=data.issuing_body.strip(), document_number=data.document_number.strip(),
        starts_on=data.starts_on, ends_on=end, conditions=data.conditions.strip(),
        recorded_by_id=actor.user_id,
    )
    db.session.add(measure)
    db.session.flush()
    audit.record("measure.issue", object_type="measure", object_id=measure.id,
                 details={"case_id": case.id, "type": kind.code})
    cases.add_timeline_entry(actor, case.id, "measure.issued", category="incident_details",
                             object_type="measure", object_id=measure.id, type=kind.code,
                             ends_on=end.isoformat())
    emit("measure.issued", subject_type="case", subject_id=case.id, measure_id=measure.id)
    return measure


@scoped
def get_measure_for(actor: Actor, measure_id: int) -> ProtectiveMeasure:
    with acting_as(actor):
        found = db.session.execute(select(ProtectiveMeasure).where(
            ProtectiveMeasure.id == measure_id)).scalar_one_or_none()
    if found is None:
        raise NotVisible("measure", measure_id)
    return found


@scoped
def record_breach(actor: Actor, measure_id: int, *, occurred_at: datetime,
                  description: str) -> MeasureBreach:
    measure = get_measure_for(actor, measure_id)
    cases.writable_case(actor, measure.case_id, "incident_details")
    if occurred_at > utcnow() + timedelta(minutes=5):
        raise DomainError(_("The breach cannot be in the future."), field="occurred_at")
    if not description.strip():
        raise DomainError(_("Describe what happened."), field="description")
    breach = MeasureBreach(case_id=measure.case_id, measure_id=measure.id,
                           occurred_at=occurred_at, description=description.strip(),
                           recorded_by_id=actor.user_id)
    db.session.add(breach)
    db.session.flush()
    audit.record("measure.breach", object_type="measure", object_id=measure.id,
                 details={"case_id": measure.case_id, "breach_id": breach.id})
    cases.add_timeline_entry(actor, measure.case_id, "measure.breach",
                             category="incident_details", object_type="measure",
                             object_id=measure.id)
    emit("measure.breach", subject_type="case", subject_id=measure.case_id,
         measure_id=measure.id)
    return breach


@scoped
def revoke_measure(actor: Actor, measure_id: int, *, reason: str,
                   expected_version: int | None = None) -> ProtectiveMeasure:
    measure = get_measure_for(actor, measure_id)
    cases.writable_case(actor, measure.case_id, "incident_details")
    cases.check_version(measure, expected_version, what=_("measure"))
    if measure.status != "active":
        raise DomainError(_("This measure has already ended."))
    if not reason.strip():
        raise DomainError(_("Give the reason the measure ends early."), field="reason")
    measure.status = "revoked"
    measure.revoked_reason = reason.strip()
    db.session.flush()
    audit.record("measure.revoke", object_type="measure", object_id=measure.id,
                 details={"case_id": measure.case_id})
    cases.add_timeline_entry(actor, measure.case_id, "measure.revoked",
                             category="incident_details", object_type="measure",
                             object_id=measure.id)
    return measure


@scoped
def list_measures(actor: Actor, case_id: int) -> list[ProtectiveMeasure]:
    """The case's measures with their breaches and issuing agency joined in: the case page
    shows both for every measure, which were one lazy query per measure."""
    with acting_as(actor):
        return list(db.session.execute(
            select(ProtectiveMeasure).where(ProtectiveMeasure.case_id == case_id)
            .options(joinedload(ProtectiveMeasure.breaches),
                     joinedload(ProtectiveMeasure.issuing_agency))
            .order_by(ProtectiveMeasure.ends_on.desc(), ProtectiveMeasure.id)
        ).unique().scalars())


def in_force(measures: list[ProtectiveMeasure], today: date) -> list[ProtectiveMeasure]:
    return [m for m in measures if m.in_force_on(today)]
