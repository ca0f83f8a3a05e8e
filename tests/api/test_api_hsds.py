"""Issue 21, directory: organizations, services, locations and services at locations in Open
Referral HSDS 3.0 shapes, read with the directory page's rules."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from referral.access.permissions import Role
from referral.api import hsds_mapping as m
from referral.extensions import db
from referral.referrals import capacity
from tests.api.helpers import Api, token_for
from tests.fixtures import make_agency, make_district, make_user

# Required fields of HSDS 3.0's schemas (openreferral/specification, schema/*.json "required"),
# and, for the API's list endpoints, of its Page object.
REQUIRED = {
    "page": ("total_items", "total_pages", "page_number", "size", "first_page", "last_page",
             "empty", "contents"),
    "organization": ("id", "name", "description"),
    "service": ("id", "name", "status"),
    "location": ("id", "location_type"),
    "service_at_location": ("id",),
    "address": ("id", "address_1", "city", "state_province", "postal_code", "country",
                "address_type"),
    "phone": ("id", "number"),
    "language": ("id",),
    "accessibility": ("id",),
    "schedule": ("id",),
    "attribute": ("id",),
    "taxonomy_term": ("id", "name", "description"),
    "service_capacity": ("id", "unit", "available", "updated"),
    "unit": ("id", "name"),
}
# Where each nested object of a record sits (key -> its HSDS schema).
NESTED = {"phones": "phone", "languages": "language", "accessibility": "accessibility",
          "schedules": "schedule", "addresses": "address", "attributes": "attribute",
          "taxonomy_term": "taxonomy_term", "capacities": "service_capacity", "unit": "unit",
          "organization": "organization", "service": "service", "location": "location",
          "services": "service", "locations": "location"}
ENUMS = {("service", "status"): {"active", "inactive", "defunct", "temporarily closed"},
         ("location", "location_type"): {"physical", "postal", "virtual"},
         ("address", "address_type"): {"physical", "postal", "virtual"}}


def conforms(record: Any, schema: str, where: str = "") -> list[str]:
    """What in ``record`` breaks HSDS 3.0's required fields and codes (nested records too)."""
    problems = [f"{where}{schema}.{f} missing" for f in REQUIRED[schema]
                if record.get(f) in (None, "") and not (f == "postal_code" and f in record)]
    for (name, field), allowed in ENUMS.items():
        if name == schema and record.get(field) not in allowed:
            problems.append(f"{where}{schema}.{field} = {record.get(field)!r}")
    for key, value in record.items():
        if key in NESTED and value is not None:
            for item in value if isinstance(value, list) else [value]:
                problems += conforms(item, NESTED[key], f"{where}{schema}.{key}/")
    return problems


def page_conforms(page: dict[str, Any], schema: str) -> list[str]:
    problems = conforms(page, "page")
    for item in page["contents"]:
        problems += conforms(item, schema)
    return problems


@pytest.fixture
def directory(ctx: Any) -> dict[str, Any]:
    district = make_district("KZ-75", "Medeu HSDS")
    police = make_agency("police", name="Police HSDS", district=district)
    shelter = make_agency("crisis_center", name="Shelter HSDS", services=("shelter",
                          "psychological"), shelter_places=6, address="Secret street 1",
                          is_24_7=True, wheelchair_accessible=True, phone="+7 727 000 0000",
                          languages="kk,ru", district=district, external_id="org-shelter-1")
    health = make_agency("health", name="Clinic HSDS", services=("medical",),
                         address="Open street 5", working_hours="Mon–Fri 9–18",
                         description="A clinic.", website="https://clinic.example")
    closed = make_agency("ngo", name="Closed HSDS", services=("legal_aid",))
    closed.is_active = False
    officer = make_user(police, Role.OFFICER)
    worker = make_user(shelter, Role.OFFICER)
    db.session.flush()
    capacity.take_place(shelter.id)
    capacity.take_place(shelter.id)
    db.session.commit()
    return {"police": police, "shelter": shelter, "health": health, "closed": closed,
            "officer": officer, "worker": worker}


def _api(client: Any, user: Any, language: str | None = None) -> Api:
    return Api(client, token_for(user), language=language)


def test_organizations_are_an_hsds_page(directory, client):
    api = _api(client, directory["officer"])
    page = api.get("/hsds/organizations?per_page=200").json
    assert not page_conforms(page, "organization"), page_conforms(page, "organization")
    names = [o["name"] for o in page["contents"]]
    assert {"Police HSDS", "Shelter HSDS", "Clinic HSDS"} <= set(names)
    assert "Closed HSDS" not in names, "inactive agencies are not listed"
    shelter = next(o for o in page["contents"] if o["name"] == "Shelter HSDS")
    assert shelter["id"] == "org-shelter-1", "an imported organization keeps its file's id"
    clinic = next(o for o in page["contents"] if o["name"] == "Clinic HSDS")
    assert uuid.UUID(clinic["id"]) and clinic["website"] == "https://clinic.example"
    one = api.get("/hsds/organizations?per_page=1&page=2").json
    assert one["page_number"] == 2 and one["size"] == 1 and len(one["contents"]) == 1
    assert one["total_items"] == page["total_items"] and not one["first_page"]


def test_one_organization_with_its_services_and_location(directory, client):
    api = _api(client, directory["officer"])
    org_id = m.organization_id(directory["health"])
    answer = api.get(f"/hsds/organizations/{org_id}")
    assert answer.status_code == 200, answer.data
    assert not conforms(answer.json, "organization")
    assert [s["name"] for s in answer.json["services"]] == ["Medical care"]
    [location] = answer.json["locations"]
    assert location["addresses"][0]["address_1"] == "Open street 5"
    assert location["addresses"][0]["state_province"] == "KZ-75"
    assert location["schedules"][0]["description"] == "Mon–Fri 9–18"
    missing = api.get(f"/hsds/organizations/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    closed = api.get(f"/hsds/organizations/{m.organization_id(directory['closed'])}")
    assert closed.status_code == 404


def test_services_in_the_callers_language_with_live_capacity(directory, client):
    api = _api(client, directory["officer"], language="ru")
    page = api.get("/hsds/services?taxonomy_term_id=shelter").json
    assert not page_conforms(page, "service"), page_conforms(page, "service")
    [shelter] = [s for s in page["contents"] if s["organization_id"] == "org-shelter-1"]
    assert shelter["name"] == "Приют / кризисное размещение" and shelter["status"] == "active"
    [places] = shelter["capacities"]
    assert places["available"] == 4 and places["maximum"] == 6
    assert shelter["attributes"][0]["taxonomy_term"]["code"] == "shelter"
    assert shelter["schedules"][0]["byday"] == m.EVERY_DAY
    by_term = api.get(f"/hsds/services?taxonomy_term_id={m.taxonomy_term_id('shelter')}").json
    assert by_term["total_items"] == page["total_items"]
    one = api.get(f"/hsds/services/{shelter['id']}").json
    assert one["organization"]["name"] == "Shelter HSDS"
    unknown = api.get("/hsds/services?taxonomy_term_id=no-such-term").json
    assert unknown["empty"] and unknown["total_items"] == 0


def test_a_crisis_centres_address_only_to_whom_the_page_shows_it(directory, client):
    loc_id = m.location_id(directory["shelter"])
    outsider = _api(client, directory["officer"]).get(f"/hsds/locations/{loc_id}").json
    assert outsider["addresses"] == [] and "Secret street" not in str(outsider)
    assert outsider["description"].startswith(outsider["description"].split(" · ")[0])
    assert outsider["accessibility"][0]["description"] == "Wheelchair accessible"
    staff = _api(client, directory["worker"]).get(f"/hsds/locations/{loc_id}").json
    assert staff["addresses"][0]["address_1"] == "Secret street 1"
    listed = _api(client, directory["officer"]).get("/hsds/service_at_locations?search=shelter")
    assert "Secret street" not in listed.get_data(as_text=True)
    assert not page_conforms(listed.json, "service_at_location")


def test_locations_and_services_at_locations_filter_by_organization(directory, client):
    api = _api(client, directory["officer"])
    org_id = m.organization_id(directory["shelter"])
    locations = api.get(f"/hsds/locations?organization_id={org_id}").json
    assert not page_conforms(locations, "location")
    assert [loc["organization_id"] for loc in locations["contents"]] == [org_id]
    at = api.get(f"/hsds/service_at_locations?organization_id={org_id}").json
    assert at["total_items"] == 2
    assert {x["location_id"] for x in at["contents"]} == {m.location_id(directory["shelter"])}


def test_bad_paging_is_a_problem_and_a_token_is_needed(directory, client):
    api = _api(client, directory["officer"])
    assert api.get("/hsds/services?per_page=0").status_code == 422
    assert client.get("/api/v1/hsds/services").status_code == 401


def test_ids_are_stable_and_derived_from_our_keys(directory):
    health = directory["health"]
    assert m.organization_id(health) == m.derived_id("organization", health.id)
    assert m.organization_id(health) == m.organization_id(health)
    assert m.service_id(health, "medical") != m.service_id(directory["shelter"], "medical")
