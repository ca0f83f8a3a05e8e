"""Issue 21: a directory loaded from an HSDS file (referral/imports) comes out of the HSDS API
with the file's ids, names and services, and the export read back in changes nothing."""

from __future__ import annotations

from typing import Any

from referral.access.permissions import Role
from referral.extensions import db
from tests.api.helpers import Api, token_for
from tests.fixtures import make_agency, make_user
from tests.imports.helpers import SAMPLE, commit, csv_bytes, outcomes, package_bytes, sample


def _directory_file() -> bytes:
    return package_bytes(sample(users=None))


def _exported(client: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    coordinator = make_user(make_agency("coordination", name="Akimat HSDS"), Role.COORDINATOR,
                            regions=("KZ-75",))
    db.session.commit()
    api = Api(client, token_for(coordinator))
    organizations = api.get("/hsds/organizations?per_page=200").json["contents"]
    services = api.get("/hsds/services?per_page=200").json["contents"]
    return organizations, services


def test_import_then_export_keeps_ids_names_and_services(ctx, client):
    commit(_directory_file())
    organizations, services = _exported(client)
    by_id = {o["id"]: o for o in organizations}
    for row in SAMPLE["organizations"]:
        assert by_id[row["id"]]["name"] == row["name"]
        assert by_id[row["id"]]["description"] == row["description"]
    exported = {(s["id"], s["organization_id"], s["attributes"][0]["taxonomy_term"]["code"])
                for s in services}
    assert {(r["id"], r["organization_id"], r["x_service_code"])
            for r in SAMPLE["services"]} <= exported


def test_the_export_read_back_in_changes_nothing(ctx, client):
    commit(_directory_file())
    organizations, services = _exported(client)
    imported = {r["id"] for r in SAMPLE["organizations"]}
    ours = {r["id"]: r for r in SAMPLE["organizations"]}
    # HSDS has no agency type nor region column: those two come from the original rows.
    rows = [{"id": o["id"], "name": o["name"], "description": o["description"],
             "email": o["email"] or "", "website": o["website"] or "",
             "x_agency_type": ours[o["id"]]["x_agency_type"],
             "x_region_code": ours[o["id"]]["x_region_code"],
             "x_district_id": ours[o["id"]]["x_district_id"]}
            for o in organizations if o["id"] in imported]
    report = commit(csv_bytes("organizations", rows), table="organizations")
    assert {outcome for _id, outcome in outcomes(report, "organizations")} == {"unchanged"}
    service_rows = [{"id": s["id"], "organization_id": s["organization_id"],
                     "x_service_code": s["attributes"][0]["taxonomy_term"]["code"],
                     "status": s["status"]}
                    for s in services if s["organization_id"] in imported]
    report = commit(csv_bytes("services", service_rows), table="services")
    assert {outcome for _id, outcome in outcomes(report, "services")} == {"unchanged"}
