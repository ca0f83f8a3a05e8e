"""Cross-agency targets of the import routes (tests/test_cross_agency_404.py).

A batch is its uploader's alone: every other user, other administrators included, gets 404.
The file may hold people's names and e-mail addresses that its uploader brought; a key seen
in a shared link must not let anyone else read the report or commit it (another administrator
can upload the file themselves). The walk's administrator is not the uploader here, so no one
is exempt; tests/imports/test_pages.py shows the uploader gets the page.
"""

from __future__ import annotations

from typing import Any

from referral.access.permissions import Role
from referral.imports import batches
from referral.imports.sample import workbook_bytes
from tests.fixtures import actor, make_user


def _batch(w: dict[str, Any], _r: dict[str, Any]) -> Any:
    from tests.test_cross_agency_404 import Target

    uploader = w.get("import_uploader") or make_user(w["admin_office"], Role.ADMINISTRATOR)
    w["import_uploader"] = uploader
    batch = batches.keep(actor(uploader), workbook_bytes(), filename="directory.xlsx")
    return Target({"key": batch.key}, insider=None)


TARGETS = {"imports.report": _batch, "imports.commit": _batch}
