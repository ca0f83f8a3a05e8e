"""Agencies, districts and regions of the API: the directory as the directory page shows it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from referral.agencies.models import AgencyType
from referral.api.paging import PageQuery
from referral.api.schemas.referrals import ServiceCode


class AgencyQuery(PageQuery):
    region: str | None = Field(None, description="ISO 3166-2 code, e.g. KZ-75.")
    district_id: int | None = None
    type: AgencyType | None = None
    service: ServiceCode | None = None


class Agency(BaseModel):
    """An active agency of the directory. A crisis center's address is given only to its own
    staff, coordinators and agencies whose client it shelters (as on the directory page)."""

    id: int
    name: str
    type: AgencyType
    type_label: str
    region_code: str
    district_id: int | None
    services: list[str]
    phone: str
    email: str
    address: str | None = Field(description="Null where the caller may not see it.")
    website: str
    description: str
    is_24_7: bool
    working_hours: str
    languages: str
    wheelchair_accessible: bool
    children_admitted: bool
    shelter_places: int
    free_places: int | None = Field(description="Shelter places free now; null without places.")
    external_id: str | None


class DistrictQuery(BaseModel):
    region: str | None = Field(None, description="ISO 3166-2 code, e.g. KZ-75.")


class District(BaseModel):
    id: int
    region_code: str
    name: str = Field(description="In the caller's language.")
    name_en: str
    name_ru: str
    name_kk: str
    is_remote: bool
    external_id: str | None


class Districts(BaseModel):
    items: list[District]


class Region(BaseModel):
    code: str
    name: str = Field(description="In the caller's language.")
    name_en: str
    name_ru: str
    name_kk: str
    centre: str


class Regions(BaseModel):
    items: list[Region]
