"""In Chromium: attach one file of each type at once (through the progress script), open each
back as a download, see a renamed executable refused with what was typed kept; the list at
360 px wide."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from referral.extensions import db
from tests.documents import samples
from tests.fixtures import PASSWORD
from tests.referrals.factories import make_case

pytestmark = [pytest.mark.browser, pytest.mark.app_config(WTF_CSRF_ENABLED=True)]
MAGIC = {"pdf": b"%PDF", "jpeg": b"\xff\xd8\xff", "png": b"\x89PNG", "docx": b"PK\x03\x04",
         "odt": b"PK\x03\x04"}


def _log_in(page, user) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/$"))


def _files(entries: list[tuple[str, bytes]]) -> list[dict]:
    return [{"name": name, "mimeType": "application/octet-stream", "buffer": data}
            for name, data in entries]


def test_each_type_uploads_and_downloads_in_a_browser(page, world):
    case = make_case(world["police"], world["officer"])
    db.session.commit()
    _log_in(page, world["officer"])
    page.goto(f"/cases/{case.id}/documents/new")
    entries = [(name, make()) for name, make, _kind in samples.ALL.values()]
    page.get_by_label("Files").set_input_files(_files(entries))
    page.get_by_label("Category").select_option("other")
    page.get_by_role("button", name="Attach", exact=True).click()
    page.wait_for_url(re.compile(rf"/cases/{case.id}/documents$"))
    links = page.locator("ul.documents > li .document a")
    assert links.count() == len(entries)
    kinds = {name: kind for name, _make, kind in samples.ALL.values()}
    for index in range(links.count()):
        link = links.nth(index)
        title = link.inner_text()
        with page.expect_download() as info:
            link.click()
        data = Path(info.value.path()).read_bytes()
        assert data.startswith(MAGIC[kinds[title]]), title
        assert b"iPhone" not in data and b"Serikbayev" not in data
    assert page.locator("img.document-thumb").count() == 3  # the JPEG, PNG and HEIC
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_renamed_executable_is_refused_in_the_browser(page, world):
    case = make_case(world["police"], world["officer"])
    db.session.commit()
    _log_in(page, world["officer"])
    page.goto(f"/cases/{case.id}/documents/new")
    page.get_by_label("Files").set_input_files(_files([("photo.jpg", samples.EXECUTABLE)]))
    page.get_by_label("Category").select_option("injury_photo")
    page.get_by_label("Title").fill("Bruises on the arm")
    page.get_by_role("button", name="Attach", exact=True).click()
    page.locator("p.error").first.wait_for()
    assert "photo.jpg" in page.locator("p.error").first.inner_text()
    assert page.get_by_label("Title").input_value() == "Bruises on the arm"
