"""What a checked upload would write: the rows to create or change, table by table.

References between tables go by external id (a new organization has no database id until it is
written); ``referral.imports.writing`` resolves them in table order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from referral.accounts.models import User
from referral.agencies.models import Agency, AgencyService, District
from referral.imports.known import Known
from referral.imports.rows import Row


@dataclass
class Plan:
    districts: list[tuple[District | None, dict[str, Any]]] = field(default_factory=list)
    # The values may hold "district": a district's external id ("" for none).
    organizations: list[tuple[Agency | None, dict[str, Any]]] = field(default_factory=list)
    locations: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # by org id
    drop_services: list[AgencyService] = field(default_factory=list)
    adopt_services: list[tuple[AgencyService, str]] = field(default_factory=list)
    new_services: list[tuple[str, str, str]] = field(default_factory=list)  # org, code, id
    users: list[tuple[User | None, dict[str, Any]]] = field(default_factory=list)
    # What the file says of its districts and organizations (errors included, so that a row
    # naming one is not refused for that too): external id → region code.
    file_districts: dict[str, str] = field(default_factory=dict)
    file_orgs: dict[str, str] = field(default_factory=dict)
    org_districts: dict[str, str] = field(default_factory=dict)  # org id → its row's district
    district_ids: dict[str, int] = field(default_factory=dict)  # adopted by name → database id

    def district_region(self, known: Known, external_id: str) -> str | None:
        if external_id in self.file_districts:
            return self.file_districts[external_id]
        district = known.districts.get(external_id)
        return district.region_code if district is not None else None

    def district_id(self, known: Known, external_id: str) -> int | None:
        """The database id of a district named by external id; None if it is new."""
        if external_id in self.district_ids:
            return self.district_ids[external_id]
        district = known.districts.get(external_id)
        return district.id if district is not None else None

    def org_region(self, known: Known, external_id: str) -> str | None:
        if external_id in self.file_orgs:
            return self.file_orgs[external_id]
        agency = known.agencies.get(external_id)
        return agency.region_code if agency is not None else None

    def resolve_district(self, row: Row, known: Known, external_id: str,
                         region: str | None) -> str:
        """Check a district reference of ``row`` (in the file or the database, same region)."""
        found = self.district_region(known, external_id)
        if found is None:
            row.fail(_("No district has the id “%(id)s” in this file or the database.",
                       id=external_id))
        elif region and found != region:
            row.fail(_("The district “%(id)s” is not in the region %(region)s.",
                       id=external_id, region=region))
        return external_id

    def resolve_org(self, row: Row, known: Known, external_id: str) -> str | None:
        """The region of a referenced organization; None (and the row refused) if unknown."""
        region = self.org_region(known, external_id)
        if external_id and region is None:
            row.fail(_("No organization has the id “%(id)s” in this file or the database.",
                       id=external_id))
        return region
