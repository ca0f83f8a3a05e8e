"""The service directory in the shapes of Open Referral HSDS 3.0 (field names exactly as the
specification's, snake_case), so that an HSDS client reads them as they are.

Only what our directory holds is modelled; HSDS fields we have no data for are left out (the
specification makes them optional). The list endpoints answer HSDS's ``Page`` object.
Model names carry an ``Hsds`` prefix: the OpenAPI document shares one namespace of schemas.
"""

from __future__ import annotations

from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")
MAX_PER_PAGE = 200


class HsdsQuery(BaseModel):
    """HSDS list parameters: ``page`` (from 1) and ``per_page``, a text search, filters."""

    page: int = Field(1, ge=1, le=100_000, description="The page number, from 1.")
    per_page: int = Field(50, ge=1, le=MAX_PER_PAGE, description="Items per page.")
    search: str | None = Field(None, max_length=200,
                               description="Text in the name or description (any case).")
    taxonomy_term_id: str | None = Field(
        None, max_length=100,
        description="A taxonomy term's id, or one of our service codes (e.g. 'shelter').")
    organization_id: str | None = Field(None, max_length=100,
                                        description="Only this organization's records.")


class HsdsPage(BaseModel, Generic[T]):
    """HSDS 3.0's paginated list object."""

    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[T]


class HsdsTaxonomyTerm(BaseModel):
    id: str
    code: str
    name: str
    description: str
    taxonomy: str = Field(description="Our service catalogue's name.")
    language: str


class HsdsAttribute(BaseModel):
    id: str
    link_id: str
    link_type: str
    link_entity: str
    taxonomy_term_id: str
    taxonomy_term: HsdsTaxonomyTerm


class HsdsPhone(BaseModel):
    id: str
    number: str
    type: str = "voice"
    organization_id: str | None = None
    location_id: str | None = None


class HsdsLanguage(BaseModel):
    id: str
    name: str
    code: str = Field(description="ISO 639-1.")
    location_id: str | None = None
    service_id: str | None = None


class HsdsAccessibility(BaseModel):
    id: str
    location_id: str
    description: str
    details: str | None = None


class HsdsSchedule(BaseModel):
    """When a location (and so its services) is open: 24/7 as a weekly RRULE, else the hours as
    written, in ``description``."""

    id: str
    location_id: str | None = None
    service_id: str | None = None
    freq: Literal["WEEKLY"] | None = None
    byday: str | None = None
    opens_at: str | None = None
    closes_at: str | None = None
    description: str


class HsdsAddress(BaseModel):
    id: str
    location_id: str
    address_1: str
    city: str
    region: str | None = None
    state_province: str = Field(description="The ISO 3166-2 code of the region (e.g. KZ-75).")
    postal_code: str
    country: str
    address_type: Literal["physical", "postal", "virtual"]


class HsdsUnit(BaseModel):
    id: str
    name: str
    identifier: str | None = None


class HsdsServiceCapacity(BaseModel):
    """Places of a shelter: ``available`` is the live count of free places at the time of the
    call (``updated``), ``maximum`` the agency's places."""

    id: str
    service_id: str
    unit: HsdsUnit
    available: int
    maximum: int | None = None
    description: str | None = None
    updated: str


class HsdsOrganization(BaseModel):
    id: str
    name: str
    description: str
    email: str | None = None
    website: str | None = None
    phones: list[HsdsPhone] = []


class HsdsLocation(BaseModel):
    """An agency's premises. A crisis centre's address is given only to whom the directory page
    shows it (its staff, coordinators, agencies whose client it shelters)."""

    id: str
    location_type: Literal["physical", "postal", "virtual"]
    organization_id: str
    name: str
    description: str | None = None
    addresses: list[HsdsAddress] = []
    languages: list[HsdsLanguage] = []
    accessibility: list[HsdsAccessibility] = []
    schedules: list[HsdsSchedule] = []
    phones: list[HsdsPhone] = []


class HsdsService(BaseModel):
    id: str
    organization_id: str
    name: str = Field(description="The service's name in the caller's language.")
    description: str | None = None
    status: Literal["active", "inactive", "defunct", "temporarily closed"]
    email: str | None = None
    url: str | None = None
    attributes: list[HsdsAttribute] = []
    languages: list[HsdsLanguage] = []
    schedules: list[HsdsSchedule] = []
    capacities: list[HsdsServiceCapacity] = []
    organization: HsdsOrganization | None = None


class HsdsServiceAtLocation(BaseModel):
    id: str
    service_id: str
    location_id: str
    service: HsdsService | None = None
    location: HsdsLocation | None = None


class HsdsOrganizationFull(HsdsOrganization):
    """One organization with its services and locations (HSDS's full organization)."""

    services: list[HsdsService] = []
    locations: list[HsdsLocation] = []


class HsdsOrganizationPage(HsdsPage[HsdsOrganization]):
    pass


class HsdsServicePage(HsdsPage[HsdsService]):
    pass


class HsdsLocationPage(HsdsPage[HsdsLocation]):
    pass


class HsdsServiceAtLocationPage(HsdsPage[HsdsServiceAtLocation]):
    pass
