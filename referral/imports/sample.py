"""A small sample import file (one region's directory and two users), for docs and tests.

``flask import sample FILE`` writes it: an .xlsx workbook, or a .zip of CSV files (the HSDS
tabular data package shape) when the name ends in .zip.
"""

from __future__ import annotations

import csv
import io
import zipfile

from referral.imports.columns import TABLES

SAMPLE: dict[str, list[dict[str, str]]] = {
    "districts": [
        {"id": "kz75-medeu", "region_code": "KZ-75", "name_en": "Medeu district",
         "name_ru": "Медеуский район", "name_kk": "Медеу ауданы", "is_remote": "false"},
        {"id": "kz75-nauryzbay", "region_code": "KZ-75", "name_en": "Nauryzbay district",
         "name_ru": "Наурызбайский район", "name_kk": "Наурызбай ауданы", "is_remote": "true"},
    ],
    "organizations": [
        {"id": "org-crisis-1", "name": "Crisis Centre Zhardem", "description": "Shelter and "
         "counselling for women and children.", "email": "help@zhardem.example.kz",
         "website": "https://zhardem.example.kz", "x_agency_type": "crisis_center",
         "x_region_code": "KZ-75", "x_district_id": "kz75-medeu", "x_phone": "+7 727 000 0001",
         "x_working_hours": "24/7", "x_languages": "kk,ru", "x_is_24_7": "true",
         "x_wheelchair_accessible": "true", "x_children_admitted": "true",
         "x_shelter_places": "12"},
        {"id": "org-legal-1", "name": "Legal Aid Bureau", "description": "Free legal advice.",
         "email": "", "website": "", "x_agency_type": "ngo", "x_region_code": "KZ-75",
         "x_district_id": "kz75-nauryzbay", "x_phone": "", "x_working_hours": "Mon-Fri 9-18",
         "x_languages": "kk,ru,en", "x_is_24_7": "false", "x_wheelchair_accessible": "false",
         "x_children_admitted": "false", "x_shelter_places": "0"},
    ],
    "locations": [
        {"id": "loc-crisis-1", "organization_id": "org-crisis-1", "name": "Main office",
         "address_1": "Abay avenue 10", "city": "Almaty", "postal_code": "050000",
         "country": "KZ"},
    ],
    "services": [
        {"id": "svc-crisis-shelter", "organization_id": "org-crisis-1", "name": "Shelter",
         "status": "active", "x_service_code": "shelter"},
        {"id": "svc-crisis-psy", "organization_id": "org-crisis-1", "name": "Counselling",
         "status": "active", "x_service_code": "psychological"},
        {"id": "svc-legal", "organization_id": "org-legal-1", "name": "Legal aid",
         "status": "active", "x_service_code": "legal_aid"},
    ],
    "users": [
        {"email": "manager@zhardem.example.kz", "full_name": "Sample Manager",
         "organization_id": "org-crisis-1", "role": "agency_manager", "locale": "ru",
         "regions": ""},
        {"email": "lawyer@legal.example.kz", "full_name": "Sample Lawyer",
         "organization_id": "org-legal-1", "role": "officer", "locale": "kk", "regions": ""},
    ],
}


def _header(table: str, rows: list[dict[str, str]]) -> list[str]:
    used = list(dict.fromkeys(key for row in rows for key in row))
    known = TABLES[table].columns if table in TABLES else ()
    return [c for c in known if c in used] + [c for c in used if c not in known]


def workbook_bytes(data: dict[str, list[dict[str, str]]] | None = None) -> bytes:
    """The tables as an XLSX workbook, one sheet each."""
    import openpyxl

    data = SAMPLE if data is None else data
    book = openpyxl.Workbook()
    book.remove(book.active)
    for table, rows in data.items():
        sheet = book.create_sheet(table)
        header = _header(table, rows)
        sheet.append(header)
        for row in rows:
            sheet.append([row.get(c, "") for c in header])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(table: str, rows: list[dict[str, str]]) -> bytes:
    """One table as UTF-8 CSV text."""
    buffer = io.StringIO()
    header = _header(table, rows)
    writer = csv.DictWriter(buffer, fieldnames=header, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def package_bytes(data: dict[str, list[dict[str, str]]] | None = None) -> bytes:
    """The tables as a ZIP of CSV files (``<table>.csv``), as an HSDS data package holds them."""
    data = SAMPLE if data is None else data
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table, rows in data.items():
            archive.writestr(f"{table}.csv", csv_bytes(table, rows))
    return buffer.getvalue()
