"""ETag / If-Match on records that carry a version: a stale update is refused (412), an update
without If-Match is refused (428), so no client overwrites a change it has not seen.

A record's ETag is its version as a strong tag, ``"7"``. ``If-Match`` is compared strongly
(RFC 9110 §13.1.1): ``"7"`` matches version 7, a weak ``W/"7"`` never matches, ``*`` matches
any version, and a list (``"6", "7"``) matches when one of its tags does. ``If-None-Match`` on
a GET is compared weakly and answers 304 without a body when the caller's copy is current.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Response, g, request
from flask_babel import gettext as _

from referral.api.problems import Problem
from referral.api.spec import AROUND, Operation

ANY = "*"
_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)')


def etag_for(version: int) -> str:
    """The strong entity tag of a record at ``version``."""
    return f'"{version}"'


def etag_header(version: int) -> dict[str, str]:
    return {"ETag": etag_for(version)}


def parse_tags(header: str) -> list[tuple[bool, str]] | None:
    """``(weak, opaque)`` for each entity tag of a header, ``[(False, "*")]`` for ``*``, or
    None when the header is not a list of entity tags."""
    header = header.strip()
    if header == ANY:
        return [(False, ANY)]
    found: list[tuple[bool, str]] = []
    position = 0
    while position < len(header):
        match = _TAG.match(header, position)
        if match is None or match.end() == position:
            return None
        found.append((bool(match.group(1)), match.group(2)))
        position = match.end()
    return found or None


def _stale() -> Problem:
    return Problem(412, _("The record has changed"),
                   _("Someone else changed the record; read it again and retry."))


def _strong_versions(tags: list[tuple[bool, str]]) -> list[int]:
    return [int(opaque) for weak, opaque in tags if not weak and opaque.isdigit()]


def expected_version(current_version: int | None = None) -> int:
    """The version the caller's ``If-Match`` names (required on updates).

    The version goes to the service function as the page's hidden version field does, so the
    same stale-edit check refuses both doors' late writes. With ``current_version`` (or after
    ``check_if_match``) a list of tags or ``*`` is honoured too; without it the header must
    name the version.
    """
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise Problem(428, _("A precondition is required"),
                      _("Send the record's ETag in 'If-Match' to change it."))
    tags = parse_tags(header)
    if tags is None:
        raise Problem(412, _("The record has changed"),
                      _("'If-Match' does not name a version of this record."))
    known = current_version if current_version is not None else g.get("if_match_version")
    if known is not None:
        if tags == [(False, ANY)] or known in _strong_versions(tags):
            g.if_match_version = known
            return int(known)
        raise _stale()
    if tags == [(False, ANY)]:
        raise Problem(428, _("A precondition is required"),
                      _("Send the record's ETag in 'If-Match' to change it."))
    versions = _strong_versions(tags)
    if not versions:
        raise _stale()
    return max(versions)


def check_if_match(current_version: int) -> None:
    """Refuse when ``If-Match`` is missing or matches no tag of ``current_version``; a later
    ``expected_version()`` of the same call then returns ``current_version``."""
    expected_version(current_version)


def none_match(header: str, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, as RFC 9110 asks for it)."""
    tags = parse_tags(header)
    if tags is None:
        return False
    opaque = etag.removeprefix("W/").strip('"')
    return any(tag in (ANY, opaque) for _weak, tag in tags)


def conditional_get(op: Operation, call: Callable[[], Response]) -> Response:
    """The ``AROUND`` hook answering a GET whose ``If-None-Match`` names the current ETag with
    304 and no body (the call still runs, so the read is authorised and audited as usual)."""
    response = call()
    header = request.headers.get("If-None-Match")
    etag = response.headers.get("ETag")
    if op.method != "GET" or not header or not etag or response.status_code != 200:
        return response
    if not none_match(header, etag):
        return response
    unchanged = Response(status=304)
    for name in ("ETag", "Content-Language", "Vary", "Cache-Control"):
        if name in response.headers:
            unchanged.headers[name] = response.headers[name]
    return unchanged


if conditional_get not in AROUND:
    AROUND.append(conditional_get)
