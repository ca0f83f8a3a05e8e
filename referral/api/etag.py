"""ETag / If-Match on records that carry a version: a stale update is refused (412), an update
without If-Match is refused (428), so no client overwrites a change it has not seen."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from referral.api.problems import Problem


def etag_for(version: int) -> str:
    """The strong entity tag of a record at ``version``."""
    return f'"{version}"'


def etag_header(version: int) -> dict[str, str]:
    return {"ETag": etag_for(version)}


def expected_version() -> int:
    """The version the caller's ``If-Match`` names (required on updates).

    The version goes to the service function as the page's hidden version field does, so the
    same stale-edit check refuses both doors' late writes.
    """
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise Problem(428, _("A precondition is required"),
                      _("Send the record's ETag in 'If-Match' to change it."))
    tag = header.removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise Problem(412, _("The record has changed"),
                      _("'If-Match' does not name a version of this record."))
    return int(tag)


def check_if_match(current_version: int) -> None:
    """Refuse when ``If-Match`` is missing or names another version than ``current_version``."""
    if expected_version() != current_version:
        raise Problem(412, _("The record has changed"),
                      _("Someone else changed the record; read it again and retry."))
