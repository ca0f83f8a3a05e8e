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

from referral.access import scoped
from referral.access.scope import Actor, acting_as
from referral.audit import service as audit
from referral.cases import service as cases
from referral.cases.models import (
    CaseParticipant,
    MeasureBreach,
    ParticipantRole,
    ProtectiveMeasure,
)
from referral.cases.terms import Term
from referral.errors import DomainError, NotVisible
from referral.events.service import emit
from referral.extensions import db
from referral.models_base import utcnow
from referral.paths import PROJECT_ROOT

MEASURE_TYPES_FILE = PROJECT_ROOT / "referral" / "data" / "measure_types.json"


def _current_language() -> str:
    try:
        return str(get_locale() or "en")[:2]
    except (RuntimeError, AttributeError):
        return "en"


@dataclass(frozen=True)
class MeasureType:
    """One kind of measure from the data file. Titles and legal basis are per language in the file
    (``title_ru``, ``legal_basis_kk``…) since they are data, not code: `tests/cases/
    test_cases_measures.py` checks that every type has them in ru and kk."""

    code: str
    default_term: Term | None
    min_term: Term | None
    max_term: Term | None
    end_set_by_court: bool
    issued_by: str
    titles: dict[str, str]
    legal_bases: dict[str, str]

    @property
    def title(self) -> str:
        return self.titles.get(_current_language()) or self.titles["en"]

    @property
    def legal_basis(self) -> str:
        """The English text, as stored on every measure (a record of what applied)."""
        return self.legal_bases.get("en", "")

    @property
    def basis(self) -> str:
        """The legal basis in the current language."""
        return self.legal_bases.get(_current_language()) or self.legal_basis

    def basis_for(self, stored: str) -> str:
        """A measure's stored (English) basis in the current language, when it is still this
        type's text; an older text that the file no longer holds is shown as stored."""
        return self.basis if stored == self.legal_basis else stored

    def default_end(self, start: date) -> date | None:
        """The default last day: a 30-day order issued on the 1st runs to the 30th."""
        return self.default_term.last_day(start) if self.default_term else None

    def duration_text(self) -> str:
        """The allowed range in words, e.g. "at least 3 months, at most 12 months"."""
        limits = []
        if self.min_term and (self.min_term.unit, self.min_term.count) != ("days", 1):
            limits.append(self.min_term.at_least())
        if self.max_term:
            limits.append(self.max_term.at_most())
        return ", ".join(limits)


def _language_fields(row: dict[str, Any], stem: str) -> dict[str, str]:
    return {k[len(stem) + 1:]: v for k, v in row.items() if k.startswith(stem + "_")}


@lru_cache(maxsize=1)
def measure_types() -> dict[str, MeasureType]:
    rows: list[dict[str, Any]] = json.loads(
        MEASURE_TYPES_FILE.read_text(encoding="utf-8"))["measure_types"]
    return {
        r["code"]: MeasureType(
            code=r["code"], default_term=Term.parse(r["default_term"]),
            min_term=Term.parse(r["min_term"]), max_term=Term.parse(r["max_term"]),
            end_set_by_court=r["end_set_by_court"], issued_by=r["issued_by"],
            titles=_language_fields(r, "title"), legal_bases=_language_fields(r, "legal_basis"))
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
    """The end date entered or proposed, checked against the type's term (see `terms`)."""
    end = data.ends_on or kind.default_end(data.starts_on)
    if end is None:
        message = (_("Enter the end date the court set.") if kind.end_set_by_court
                   else _("Enter the end date."))
        raise DomainError(message, field="ends_on")
    if end < data.starts_on:
        raise DomainError(_("The end date cannot be before the start date."), field="ends_on")
    start = data.starts_on.isoformat()
    if kind.max_term and end > (last := kind.max_term.last_day(data.starts_on)):
        raise DomainError(_(
            "%(kind)s: %(limit)s (%(basis)s). Starting on %(start)s, it ends on %(last)s at the "
            "latest. Check the end date.", kind=kind.title, limit=kind.max_term.at_most(),
            basis=kind.basis, start=start, last=last.isoformat()), field="ends_on")
    if kind.min_term and end < (first := kind.min_term.last_day(data.starts_on)):
        raise DomainError(_(
            "%(kind)s: %(limit)s (%(basis)s). Starting on %(start)s, it ends on %(first)s at the "
            "earliest. Check the end date.", kind=kind.title, limit=kind.min_term.at_least(),
            basis=kind.basis, start=start, first=first.isoformat()), field="ends_on")
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
