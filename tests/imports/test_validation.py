"""Every table's checks: each row's error, in English and in Russian; a bad row writes nothing."""

from __future__ import annotations

import io
import zipfile

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from referral.agencies.models import Agency, AgencyService, District
from referral.extensions import db
from referral.imports.service import ImportRefused
from tests.fixtures import fresh, make_district
from tests.imports.helpers import commit, dry, messages, outcomes, sample, workbook_bytes

ORG = {"id": "o1", "name": "Org", "x_agency_type": "ngo", "x_region_code": "KZ-75"}


def _errors(table: str, rows: list[dict[str, str]], **other) -> list[str]:
    return messages(dry(workbook_bytes({table: rows, **other})), table)


def test_districts_refuse_missing_fields_unknown_regions_and_duplicates(ctx, world):
    found = _errors("districts", [
        {"id": "d1", "region_code": "KZ-99", "name_en": "A"},
        {"id": "d1", "region_code": "KZ-75", "name_en": ""},
        {"id": "d3", "region_code": "KZ-75", "name_en": "B", "is_remote": "perhaps"},
        {"id": "d4", "region_code": "KZ-75", "name_en": "B"},
    ])
    assert "Unknown region code “KZ-99”." in found
    assert "“d1” is also in row 2." in found
    assert "Fill in “name_en”." in found
    assert "“is_remote” must be true or false, not “perhaps”." in found
    assert "The district “B” is also in row 4." in found


def test_a_district_of_the_same_name_is_taken_over_not_duplicated(ctx, world):
    existing = make_district("KZ-75", "Turksib district")
    db.session.commit()
    report = commit(workbook_bytes({"districts": [
        {"id": "kz75-turksib", "region_code": "KZ-75", "name_en": "Turksib district"}]}))
    assert outcomes(report, "districts") == [("kz75-turksib", "update")]
    fresh()
    assert db.session.get(District, existing.id).external_id == "kz75-turksib"


def test_organizations_refuse_bad_types_regions_emails_numbers_and_districts(ctx, world):
    found = _errors("organizations", [
        {**ORG, "x_agency_type": "bakery"},
        {**ORG, "id": "o2", "x_region_code": "XX-1", "email": "not-an-address"},
        {**ORG, "id": "o3", "x_shelter_places": "-2", "x_district_id": "nowhere"},
        {**ORG, "id": "o4", "x_region_code": "KZ-43", "x_district_id": "d1"},
        {**ORG, "id": "o4", "name": ""},
    ], districts=[{"id": "d1", "region_code": "KZ-75", "name_en": "D"}])
    assert any(m.startswith("Unknown agency type “bakery”. Use one of: police") for m in found)
    assert "Unknown region code “XX-1”." in found
    assert "“not-an-address” is not an e-mail address." in found
    assert "“x_shelter_places” must be a whole number, 0 or more." in found
    assert "No district has the id “nowhere” in this file or the database." in found
    assert "The district “d1” is not in the region KZ-43." in found
    assert "“o4” is also in row 5." in found and "Fill in “name”." in found


def test_a_missing_column_refuses_the_table_and_unknown_columns_are_noted(ctx, world):
    report = dry(workbook_bytes({"organizations": [{"id": "o1", "name": "Org",
                                                    "x_region_code": "KZ-75",
                                                    "legal_status": "x"}]}))
    [table] = report.tables
    assert table.problems == ["The column “x_agency_type” is missing."]
    assert table.notes == ["Columns not read: legal_status."]
    assert report.has_errors


def test_locations_need_a_known_organization_and_one_location_each(ctx, world):
    found = _errors("locations", [
        {"id": "l1", "organization_id": "o1", "address_1": "Street 1"},
        {"id": "l2", "organization_id": "o1", "address_1": "Street 2"},
        {"id": "l3", "organization_id": "ghost", "address_1": "Street 3"},
    ], organizations=[ORG])
    assert ("The organization “o1” has another location in row 2; one location per "
            "organization is read.") in found
    assert "No organization has the id “ghost” in this file or the database." in found


def test_services_need_catalogue_codes_statuses_and_no_repeats(ctx, world):
    found = _errors("services", [
        {"id": "s1", "organization_id": "o1", "x_service_code": "massage"},
        {"id": "s2", "organization_id": "o1", "x_service_code": "shelter", "status": "maybe"},
        {"id": "s3", "organization_id": "o1", "x_service_code": "legal_aid"},
        {"id": "s4", "organization_id": "o1", "x_service_code": "legal_aid"},
        {"id": "s5", "organization_id": "o9", "x_service_code": ""},
    ], organizations=[ORG])
    assert any(m.startswith("Unknown service code “massage”. Use one of: shelter") for m in found)
    assert any(m.startswith("Unknown status “maybe”.") for m in found)
    assert "The organization “o1” has this service in row 4 too." in found
    assert "Fill in “x_service_code”." in found
    assert "No organization has the id “o9” in this file or the database." in found


def test_a_service_offered_under_another_id_is_refused_and_a_bare_one_adopted(ctx, world):
    crisis = world["crisis"].agency
    crisis.external_id = "crisis-a"
    db.session.commit()
    report = commit(workbook_bytes({"services": [
        {"id": "crisis-shelter", "organization_id": "crisis-a", "x_service_code": "shelter"}]}))
    assert outcomes(report, "services") == [("crisis-shelter", "update")]
    found = _errors("services", [
        {"id": "other-id", "organization_id": "crisis-a", "x_service_code": "shelter"}])
    assert found == ["The organization already offers this service under the id "
                     "“crisis-shelter”."]
    fresh()
    assert db.session.execute(select(func.count()).select_from(AgencyService).where(
        AgencyService.agency_id == crisis.id)).scalar_one() == 1


def test_users_refuse_bad_addresses_roles_languages_and_regions(ctx, world):
    found = _errors("users", [
        {"email": "nobody", "full_name": "A", "organization_id": "o1", "role": "officer"},
        {"email": "B@x.example.org", "full_name": "B", "organization_id": "o1", "role": "king"},
        {"email": "b@x.example.org ", "full_name": "C", "organization_id": "o1",
         "role": "coordinator", "locale": "de"},
        {"email": "d@x.example.org", "full_name": "D", "organization_id": "o1",
         "role": "coordinator", "regions": "KZ-75, KZ-00"},
        {"email": "e@x.example.org", "full_name": "", "organization_id": "nope",
         "role": "officer"},
    ], organizations=[ORG])
    assert "“nobody” is not an e-mail address." in found
    assert any(m.startswith("Unknown role “king”. Use one of: officer") for m in found)
    assert "“b@x.example.org” is also in row 3." in found  # e-mail addresses lowercased
    assert "Unknown language “de”. Use one of: en, ru, kk." in found
    assert "A coordinator needs at least one region." in found
    assert "Unknown region code “KZ-00”." in found
    assert "No organization has the id “nope” in this file or the database." in found


@pytest.mark.parametrize("table, rows, expected", [
    ("districts", [{"id": "d", "region_code": "KZ-99", "name_en": "A"}],
     "Неизвестный код региона «KZ-99»."),
    ("organizations", [{**ORG, "x_shelter_places": "many"}],
     "«x_shelter_places» должно быть целым числом, 0 или больше."),
    ("users", [{"email": "x@y.example.org", "full_name": "", "organization_id": "o1",
                "role": "officer"}], "Заполните «full_name»."),
])
def test_the_messages_are_in_the_users_language(ctx, world, table, rows, expected):
    with force_locale("ru"):
        report = dry(workbook_bytes({table: rows, "organizations": [ORG]}
                                    if table == "users" else {table: rows}))
        assert expected in messages(report, table)
        [found] = [t for t in report.tables if t.table == table]
        assert found.rows[0].label == "Ошибка"


def test_one_bad_row_writes_nothing_at_all(ctx, world):
    data = sample(users=None)
    data["services"][-1]["x_service_code"] = "massage"
    before = db.session.execute(select(func.count()).select_from(Agency)).scalar_one()
    with pytest.raises(ImportRefused) as refused:
        commit(workbook_bytes(data))
    assert refused.value.report.counts["error"] == 1
    fresh()
    assert db.session.execute(select(func.count()).select_from(Agency)).scalar_one() == before
    assert db.session.execute(select(func.count()).select_from(District).where(
        District.external_id.is_not(None))).scalar_one() == 0


def test_csv_with_semicolons_and_a_bom_reads_like_the_workbook(ctx, world):
    content = ("\ufeffID;Region_Code;name_en;name_ru\n"
               "d-1;kz-75;Old town;\"Старый; город\"\n").encode()
    report = dry(content, table="districts")
    assert outcomes(report, "districts") == [("d-1", "create")]


def test_a_data_package_skips_its_descriptor_and_lists_what_it_does_not_read(ctx, world):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hsds/datapackage.json", "{}")
        archive.writestr("hsds/phones.csv", "id,number\np1,123\n")
        archive.writestr("hsds/districts.csv", "id,region_code,name_en\nd1,KZ-75,Somewhere\n")
    report = dry(buffer.getvalue())
    assert report.ignored == ["phones"]
    assert outcomes(report, "districts") == [("d1", "create")]
