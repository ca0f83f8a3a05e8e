"""What each kind of record gives up when its period is over, counted and cleared in SQL.

Rows stay, with their ids and every code the statistics count (the case, its region, agency,
status, dates and risk level; referral statuses and times; incident types and offence codes):
only personal data (names, IIN, date of birth, phones, addresses) and free text go. Clearing is
a Core UPDATE per table, issued here and nowhere else: it is the one documented path that
changes referral progress notes, which the ORM refuses to update (referral/referrals/models.py,
the append-only listener fires on flushed objects only, so it needs no exception). The audit
trail is never touched: its rows hold ids and codes only, and the database refuses changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, Table, and_, cast, exists, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from referral.cases.emergency_models import EmergencyAccess
from referral.cases.models import (
    AccessRequest,
    Case,
    CaseNote,
    CaseNoteRevision,
    CaseParticipant,
    Incident,
    MeasureBreach,
    Person,
    ProtectiveMeasure,
    RiskAssessment,
    SafeContact,
)
from referral.coordination.models import AgendaItem, ConferenceAction
from referral.extensions import db
from referral.referrals.models import (
    Referral,
    ReferralConsent,
    ReferralHistory,
    ReferralProgressNote,
)
from referral.retention.models import LegalHold
from referral.safety.models import SafetyPlan
from referral.schools.models import SchoolNotice

_cases = Case.__table__
_holds = LegalHold.__table__
_referrals = Referral.__table__
_people = Person.__table__
_parts = CaseParticipant.__table__
EMPTY_JSON = ("{}", "null")


def hold_in_force(case_id: ColumnElement[int]) -> ColumnElement[bool]:
    return exists(select(_holds.c.id).where(_holds.c.case_id == case_id,
                                            _holds.c.released_at.is_(None)))


def due_case_ids(cut: datetime) -> Select[tuple[int]]:
    """Cases closed at or before ``cut`` with no legal hold in force."""
    return select(_cases.c.id).where(_cases.c.status == "closed", _cases.c.closed_at <= cut,
                                     ~hold_in_force(_cases.c.id))


@dataclass(frozen=True)
class Target:
    """Columns of one table to clear, and how a row finds its case (its own ``case_id`` or
    through its referral's)."""

    table: Table
    cleared: dict[str, Any]
    via_referral: bool = False
    only: Callable[[Table], ColumnElement[bool]] | None = None
    bump_version: bool = field(default=False)

    def has_content(self) -> ColumnElement[bool]:
        c = self.table.c
        found: list[ColumnElement[bool]] = []
        for name, value in self.cleared.items():
            if value is None:
                found.append(c[name].is_not(None))
            elif isinstance(value, dict):
                found.append(func.coalesce(cast(c[name], String), "{}").not_in(EMPTY_JSON))
            else:
                found.append(c[name] != value)
        condition = or_(*found)
        return and_(condition, self.only(self.table)) if self.only else condition

    def of_cases(self, case_ids: Select[tuple[int]]) -> ColumnElement[bool]:
        if self.via_referral:
            return self.table.c.referral_id.in_(
                select(_referrals.c.id).where(_referrals.c.case_id.in_(case_ids)))
        return self.table.c[self._case_column].in_(case_ids)

    @property
    def _case_column(self) -> str:
        return "id" if self.table is _cases else "case_id"

    def counts(self, case_ids: Select[tuple[int]]) -> Select[Any]:
        """(case id, rows with content) per due case."""
        if self.via_referral:
            case_col = _referrals.c.case_id
            source = self.table.join(_referrals, _referrals.c.id == self.table.c.referral_id)
            return (select(case_col, func.count()).select_from(source)
                    .where(case_col.in_(case_ids), self.has_content()).group_by(case_col))
        case_col = self.table.c[self._case_column]
        return (select(case_col, func.count()).where(case_col.in_(case_ids), self.has_content())
                .group_by(case_col))

    def clear(self, case_ids: Select[tuple[int]]) -> int:
        values = dict(self.cleared)
        if self.bump_version:
            values["version"] = self.table.c.version + 1
        statement = (update(self.table).where(self.of_cases(case_ids), self.has_content())
                     .values(**values).execution_options(synchronize_session=False))
        return db.session.execute(statement).rowcount or 0


def _released(table: Table) -> ColumnElement[bool]:
    return table.c.released_at.is_not(None)


T = Target
TARGETS: dict[str, list[Target]] = {
    "case_core": [T(_cases, {"address": ""}, bump_version=True)],
    "people": [
        T(_parts, {"phone": "", "disability_note": "", "note": ""}, bump_version=True),
        T(SafeContact.__table__, {"safe_phone": "", "safe_times": "", "code_word": "",
                                  "instructions": ""}, bump_version=True),
        # A safety plan is the survivor's own words about where she goes and how she is reached.
        T(SafetyPlan.__table__, {"main_concern": "", "resources": "", "code_signal": "",
                                 "go_bag": "", "preparedness": "", "during_violence": "",
                                 "after_leaving": ""}),
        # What a school was told of a child; the notice itself (sent, received, when) stays.
        T(SchoolNotice.__table__, {"child_name": "", "child_birth_date": None,
                                   "police_reference": "", "contact_name": "",
                                   "contact_phone": ""}, bump_version=True),
    ],
    "notes": [
        T(CaseNote.__table__, {"body": ""}, bump_version=True),
        T(CaseNoteRevision.__table__, {"body": ""}),
        T(AgendaItem.__table__, {"summary": ""}, bump_version=True),
        T(ConferenceAction.__table__, {"description": ""}),
    ],
    "incidents": [T(Incident.__table__, {"place": "", "injuries": "", "description": "",
                                         "police_record_number": ""}, bump_version=True)],
    "risk": [T(RiskAssessment.__table__, {"answers": {}, "explanation": {},
                                          "override_reason": ""})],
    "measures": [
        T(ProtectiveMeasure.__table__, {"conditions": "", "document_number": "",
                                        "revoked_reason": ""}, bump_version=True),
        T(MeasureBreach.__table__, {"description": ""}),
    ],
    "referral_text": [
        T(_referrals, {"reason": "", "need_to_know": "", "decline_text": "", "status_text": "",
                       "outcome_text": "", "overflow_reason": ""}, bump_version=True),
        T(ReferralHistory.__table__, {"note": ""}),
        T(ReferralConsent.__table__, {"legal_ground_text": ""}, via_referral=True),
    ],
    # The one path that changes progress notes (see the module's docstring).
    "progress_notes": [T(ReferralProgressNote.__table__, {"body": ""}, via_referral=True)],
    # Deleted, not cleared, rows and stored objects: referral/retention/documents.py.
    "documents": [],
    "access_reasons": [
        T(EmergencyAccess.__table__, {"reason": ""}),
        T(AccessRequest.__table__, {"reason": "", "decision_note": ""}),
        T(_holds, {"reason": "", "release_reason": ""}, only=_released),
    ],
}

# A person is anonymised only when every case they take part in is due: the same person (one
# per IIN) may take part in an open case, whose workers still need to know who they are.
_PERSON_CLEARED = {"surname": "", "given_name": "", "patronymic": "", "name_key": "",
                   "iin": None, "birth_date": None, "birth_year_estimate": None}


def _person_has_content() -> ColumnElement[bool]:
    c = _people.c
    return or_(c.surname != "", c.given_name != "", c.patronymic != "", c.iin.is_not(None),
               c.birth_date.is_not(None), c.birth_year_estimate.is_not(None))


def _only_in(case_ids: Select[tuple[int]]) -> ColumnElement[bool]:
    """The person takes part in no case outside ``case_ids``."""
    other = _parts.alias("other_part")
    return ~exists(select(other.c.id).where(other.c.person_id == _people.c.id,
                                            other.c.case_id.not_in(case_ids)))


def people_counts(case_ids: Select[tuple[int]]) -> Select[Any]:
    return (select(_parts.c.case_id, func.count(func.distinct(_people.c.id)))
            .select_from(_parts.join(_people, _people.c.id == _parts.c.person_id))
            .where(_parts.c.case_id.in_(case_ids), _person_has_content(), _only_in(case_ids))
            .group_by(_parts.c.case_id))


def clear_people(case_ids: Select[tuple[int]], all_due: Select[tuple[int]]) -> int:
    """Anonymise the people of ``case_ids`` who take part in no case outside ``all_due``."""
    in_cases = select(_parts.c.person_id).where(_parts.c.case_id.in_(case_ids))
    statement = (update(_people).where(_people.c.id.in_(in_cases), _person_has_content(),
                                       _only_in(all_due))
                 .values(**_PERSON_CLEARED, version=_people.c.version + 1)
                 .execution_options(synchronize_session=False))
    return db.session.execute(statement).rowcount or 0
