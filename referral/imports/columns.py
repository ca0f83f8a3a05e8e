"""The tables and columns an import file may hold (HSDS 3.0 names, our own prefixed ``x_``).

docs/import.md describes each column; the sample file (``flask import sample``) is built from
the same lists, so the documentation, the sample and the checks cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class TableSpec:
    name: str
    label: object  # a lazy string: the table's name in the report
    required: tuple[str, ...]
    optional: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


# In the order they are applied: a row may refer to rows of the tables before it.
TABLES: dict[str, TableSpec] = {spec.name: spec for spec in (
    TableSpec("districts", _l("Districts"), ("id", "region_code", "name_en"),
              ("name_ru", "name_kk", "is_remote")),
    TableSpec("organizations", _l("Organizations"), ("id", "name", "x_agency_type",
                                                     "x_region_code"),
              ("description", "email", "website", "x_district_id", "x_phone",
               "x_working_hours", "x_languages", "x_is_24_7", "x_wheelchair_accessible",
               "x_children_admitted", "x_shelter_places")),
    TableSpec("locations", _l("Locations"), ("id", "organization_id"),
              ("name", "address_1", "address_2", "city", "region", "state_province",
               "postal_code", "country", "x_district_id")),
    TableSpec("services", _l("Services"), ("id", "organization_id", "x_service_code"),
              ("name", "status")),
    TableSpec("users", _l("Users"), ("email", "full_name", "organization_id", "role"),
              ("locale", "regions", "phone")),
)}

DIRECTORY_TABLES = ("districts", "organizations", "locations", "services")
# HSDS service statuses; any but "active" takes the service off the organization.
SERVICE_STATUSES = ("active", "inactive", "defunct", "temporarily closed")
LOCALES = ("en", "ru", "kk")
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "да", "иә", "x"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "нет", "жоқ", ""})
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The longest value each of our columns holds (the database's limits).
MAX_LENGTHS = {"id": 100, "organization_id": 100, "x_district_id": 100, "name": 200,
               "name_en": 120, "name_ru": 120, "name_kk": 120, "email": 254,
               "website": 300, "x_phone": 40, "x_working_hours": 120, "x_languages": 60,
               "full_name": 200, "phone": 40}
