"""The import pages: administrators only; upload, dry-run report, commit; the batch is the
uploader's alone and expires after a day."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from referral.agencies.models import Agency
from referral.audit.models import AuditEvent
from referral.extensions import db
from referral.imports.batches import purge_expired
from referral.imports.models import ImportBatch
from referral.models_base import utcnow
from referral.notifications import reminders
from tests.fixtures import fresh, login, make_user
from tests.imports.helpers import csv_bytes, package_bytes, sample, workbook_bytes


def _upload(client, content: bytes, name: str = "directory.xlsx", table: str = ""):
    return client.post("/admin/imports", data={"file": (io.BytesIO(content), name),
                                               "table": table},
                       content_type="multipart/form-data")


def _key(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return re.search(r"/admin/imports/([\w-]+)$", response.headers["Location"]).group(1)


def _agencies() -> int:
    return db.session.execute(select(func.count()).select_from(Agency)).scalar_one()


@pytest.mark.parametrize("who", ["officer", "manager", "coordinator", "crisis"])
def test_only_administrators_see_the_import_pages(client, world, who):
    login(client, world[who])
    assert client.get("/admin/imports").status_code == 404
    assert _upload(client, workbook_bytes()).status_code == 404


def test_upload_dry_run_then_commit(client, world):
    login(client, world["admin"])
    assert client.get("/admin/imports").status_code == 200
    before = _agencies()
    key = _key(_upload(client, workbook_bytes(sample(users=None))))
    page = client.get(f"/admin/imports/{key}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="import-commit"' in html
    assert "org-crisis-1" in html and "Create" in html
    fresh()
    assert _agencies() == before  # the dry run wrote nothing
    done = client.post(f"/admin/imports/{key}/commit")
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/imports")
    fresh()
    assert _agencies() == before + 2
    assert db.session.execute(select(func.count()).select_from(ImportBatch)).scalar_one() == 0
    actions = [a.action for a in db.session.execute(select(AuditEvent).where(
        AuditEvent.action.like("import.%")).order_by(AuditEvent.id)).scalars()]
    assert actions == ["import.dry_run", "import.commit"]
    commit = db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "import.commit")).scalar_one()
    assert commit.details["create"] == 8 and "org-crisis-1" not in str(commit.details)
    assert client.get(f"/admin/imports/{key}").status_code == 404  # spent


def test_the_report_is_in_russian_and_errors_hide_the_commit_button(client, world):
    login(client, world["admin"])
    client.post("/language", data={"language": "ru"})
    data = sample(users=None)
    data["organizations"][0]["x_region_code"] = "KZ-99"
    key = _key(_upload(client, package_bytes(data), "hsds.zip"))
    html = client.get(f"/admin/imports/{key}").get_data(as_text=True)
    assert "Неизвестный код региона «KZ-99»." in html
    assert 'data-testid="import-has-errors"' in html and 'data-testid="import-commit"' not in html
    before = _agencies()
    client.post(f"/admin/imports/{key}/commit")
    fresh()
    assert _agencies() == before


def test_a_single_csv_needs_its_table_and_other_files_are_refused(client, world):
    login(client, world["admin"])
    rows = sample()["districts"]
    page = _upload(client, csv_bytes("districts", rows), "d.csv").get_data(as_text=True)
    assert "Choose the table this CSV file holds." in page
    _key(_upload(client, csv_bytes("districts", rows), "d.csv", table="districts"))
    for content in (b"\x89PNG\r\n\x1a\n\x00\x00binary", "абв".encode("cp1251"),
                    b"PK\x03\x04broken"):
        page = _upload(client, content, "x.xlsx")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert ("The file is not an XLSX workbook" in html
                or "The ZIP file is damaged." in html), html[:500]


def test_a_batch_is_its_uploaders_alone_and_expires_after_a_day(client, app, world):
    login(client, world["admin"])
    key = _key(_upload(client, workbook_bytes()))
    fresh()
    second_admin = make_user(world["admin_office"], "administrator",
                             email="admin2@test.example.org")
    db.session.commit()
    other = app.test_client()
    login(other, second_admin)
    assert other.get(f"/admin/imports/{key}").status_code == 404
    assert other.post(f"/admin/imports/{key}/commit").status_code == 404
    fresh()
    assert purge_expired(now=utcnow() + timedelta(hours=23)) == 0
    counts = reminders.run_all(now=utcnow() + timedelta(days=1, minutes=1))  # the minute sweep
    assert counts["import_batches"] == 1
    db.session.commit()
    assert client.get(f"/admin/imports/{key}").status_code == 404


def test_the_sample_file_downloads_and_imports(client, world):
    login(client, world["admin"])
    response = client.get("/admin/imports/sample.xlsx")
    assert response.status_code == 200 and response.data[:4] == b"PK\x03\x04"
    key = _key(_upload(client, response.data))
    assert 'data-testid="import-commit"' in client.get(f"/admin/imports/{key}").get_data(
        as_text=True)


def test_a_file_over_the_limit_is_refused_with_a_message(client, world):
    login(client, world["admin"])
    page = _upload(client, b"id,name\n" + b"x" * (5 * 1024 * 1024), "big.csv", "districts")
    assert page.status_code == 200
    assert "The file is larger than 5 MB." in page.get_data(as_text=True)
