"""Cases as the API shows them: what the case page and the case list show to the caller.

Codes come with a ``*_label`` in the caller's language (``Accept-Language``). Fields of a data
category the caller does not read (``referral.cases.scope.visible_categories``) are null, as the
page leaves them out.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from referral.api.paging import PageQuery
from referral.cases import service as cases
from referral.cases.models import (
    CASE_STATUS_LABELS,
    PARTICIPANT_ROLE_LABELS,
    RISK_LEVEL_LABELS,
    CaseStatus,
    ParticipantRole,
    RiskLevel,
)

Language = Literal[tuple(cases.LANGUAGES)]  # type: ignore[valid-type]
ClosedReason = Literal[tuple(cases.CLOSED_REASONS)]  # type: ignore[valid-type]
Sort = Literal[cases.SORTS]  # type: ignore[valid-type]
Category = Literal["identity_contact", "incident_details", "risk_assessment", "children"]


def _label(labels: dict[Any, Any], code: str | None) -> str | None:
    return None if code is None else str(labels.get(code, code))


class CaseSummary(BaseModel):
    """A row of the case list: no personal data."""

    id: int
    reference: str = Field(examples=["KZ-75-2026-000123"])
    status: CaseStatus
    status_label: str
    risk_level: RiskLevel | None = Field(None, description="Null until a risk assessment.")
    risk_level_label: str | None = None
    region_code: str
    region_name: str
    district_id: int | None = None
    district_name: str | None = None
    owner_agency_id: int
    owner_agency_name: str
    is_repeat: bool
    restricted: bool
    created_at: datetime

    @classmethod
    def of(cls, case: Any) -> CaseSummary:
        return cls(
            id=case.id, reference=case.reference, status=case.status,
            status_label=_label(CASE_STATUS_LABELS, case.status) or "",
            risk_level=case.risk_level, risk_level_label=_label(RISK_LEVEL_LABELS,
                                                                case.risk_level),
            region_code=case.region_code, region_name=case.region.name,
            district_id=case.district_id,
            district_name=case.district.name if case.district else None,
            owner_agency_id=case.owner_agency_id, owner_agency_name=case.owner_agency.name,
            is_repeat=bool(case.is_repeat), restricted=bool(case.restricted),
            created_at=case.created_at)


class CaseOut(CaseSummary):
    """One case as its page shows it to the caller (send ``version`` back as ``If-Match``)."""

    version: int
    closed_reason: ClosedReason | None = None
    closed_reason_label: str | None = None
    categories: list[Category] = Field(description="The data categories the caller reads.")
    address: str | None = Field(None, description="Null without identity and contact details.")
    languages: list[Language] | None = Field(None, description="Null without identity and "
                                                               "contact details.")
    can_change: bool = Field(description="Whether the caller may change the case's details.")

    @classmethod
    def build(cls, case: Any, categories: frozenset[str], can_change: bool) -> CaseOut:
        identity = "identity_contact" in categories
        return cls(
            **CaseSummary.of(case).model_dump(), version=case.version,
            closed_reason=case.closed_reason,
            closed_reason_label=_label(cases.CLOSED_REASONS, case.closed_reason),
            categories=sorted(categories),
            address=case.address if identity else None,
            languages=[c for c in case.languages.split(",") if c] if identity else None,
            can_change=can_change)


class CaseCreate(BaseModel):
    """A new case, as the new-case form takes it; the caller's agency owns it."""

    model_config = ConfigDict(extra="forbid")

    region_code: str = Field(min_length=1, max_length=8, examples=["KZ-75"])
    district_id: int | None = Field(None, ge=1, le=2**31 - 1)
    address: str = Field("", max_length=2000)
    languages: list[Language] = Field(default_factory=list)


class CasePatch(BaseModel):
    """Changes to a case (send its ETag as ``If-Match``); fields left out keep their value.

    ``status`` moves the case (open, monitoring, closed with ``closed_reason``; a closed case
    may be reopened), as the status form of the case page does.
    """

    model_config = ConfigDict(extra="forbid")

    region_code: str | None = Field(None, min_length=1, max_length=8)
    district_id: int | None = Field(None, ge=1, le=2**31 - 1)
    address: str | None = Field(None, max_length=2000)
    languages: list[Language] | None = None
    status: CaseStatus | None = None
    closed_reason: ClosedReason | None = None


class CaseListQuery(PageQuery):
    """The case list's filters (as the case list page offers them)."""

    status: CaseStatus | None = None
    risk: RiskLevel | None = None
    region: str | None = Field(None, max_length=8)
    district_id: int | None = Field(None, ge=1, le=2**31 - 1)
    agency_id: int | None = Field(None, ge=1, le=2**31 - 1)
    repeat: bool = False
    opened_from: date | None = Field(None, ge=date(1900, 1, 1), le=date(2199, 12, 31))
    opened_to: date | None = Field(None, ge=date(1900, 1, 1), le=date(2199, 12, 31))
    sort: Sort = "newest"

    def filters(self) -> cases.CaseFilters:
        return cases.CaseFilters(
            status=self.status or "", risk=self.risk or "", region=self.region or "",
            district_id=self.district_id, agency_id=self.agency_id, repeat=self.repeat,
            opened_from=self.opened_from, opened_to=self.opened_to, sort=self.sort)


class CasePageOut(BaseModel):
    items: list[CaseSummary]
    next_cursor: str | None = Field(None, description="Absent on the last page.")
    total: int = Field(description="How many cases match, up to the list's count cap.")
    more: bool = Field(description="More cases match than ``total`` says (the cap).")


class IinSearch(BaseModel):
    """An exact IIN (12 digits; spaces and hyphens are ignored). Sent in the body, never in a
    URL."""

    model_config = ConfigDict(extra="forbid")

    iin: str = Field(min_length=1, max_length=40, examples=["850722499909"])


class SearchHit(BaseModel):
    """A case holding the person with that IIN, in a role whose details the caller reads."""

    case: CaseSummary
    participant_id: int | None = None
    role: ParticipantRole | None = None
    role_label: str | None = None
    full_name: str | None = None
    birth_date: date | None = None

    @classmethod
    def of(cls, hit: Any) -> SearchHit:
        part = hit.participant
        return cls(
            case=CaseSummary.of(hit.case), participant_id=part.id if part else None,
            role=part.role if part else None,
            role_label=_label(PARTICIPANT_ROLE_LABELS, part.role) if part else None,
            full_name=part.person.full_name if part else None,
            birth_date=part.person.birth_date if part else None)


class SearchResults(BaseModel):
    items: list[SearchHit]
