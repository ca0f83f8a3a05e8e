"""Hostile input stopped at the edge, once for every route.

- Ids in paths: ``<int:…>`` accepts only numbers that fit the database's integer columns, so
  ``/cases/99999999999999999999`` is a plain 404 instead of an ``OverflowError`` (SQLite) or
  ``NumericValueOutOfRange`` (PostgreSQL) raised while the view queries.
- Numbers read with ``request.args.get(name, type=int)`` / ``request.form.get(…, type=int)``
  obey the same range; a value outside it counts as absent, as any other non-number does.
- Bytes that are not UTF-8 (path, query string, form body), control characters in the path or
  query string, and request bodies that are not an HTML form are 400. Control characters typed
  into a form are refused beside their field instead (``referral.web.forms``), so the form keeps
  what was typed.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes, urlsplit

from flask import Flask, abort, request
from flask import Request as _Request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter, Map, ValidationError

# Every id and integer column is SQLAlchemy's ``Integer``: 32 bits on PostgreSQL (SQLite's are
# 64), so the narrower range is the one a value must fit wherever it may reach a query.
DB_INT_MIN = -(2**31)
DB_INT_MAX = 2**31 - 1
_MAX_DIGITS = len(str(DB_INT_MAX))

# Dates a person can mean in this work (births, incidents, orders, report periods). Outside them
# the conversions between local time and UTC overflow ``datetime`` at year 1 or 9999.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)

# C0 and C1 controls and DEL. Path and query string carry none legitimately.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# The only body the pages read is an HTML form (the JSON API's prefix is registered below). Routes
# that take files (documents) name themselves in UPLOAD_LIMITS: a multipart form, up to their own
# size limit.
FORM_MIMETYPE = "application/x-www-form-urlencoded"
UPLOAD_MIMETYPE = "multipart/form-data"
UPLOAD_LIMITS: dict[str, Callable[[], int]] = {}
# Path prefixes whose views read and refuse their own bodies (the JSON API: 415/422 problems).
OWN_BODY_PREFIXES: set[str] = set()
BAD_BYTES = _l("The request contains characters that are not valid text.")
BAD_BODY = _l("The request was not sent by one of this site's forms.")


def db_int(value: Any) -> int:
    """``int(value)`` if it fits the database's integer columns, else ``ValueError``.

    Why the digit count first: Python refuses ``int()`` of a string over 4,300 digits with its
    own ``ValueError``, and converting a long one at all is wasted work."""
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and len(text.lstrip("+-").lstrip("0")) > _MAX_DIGITS:
        raise ValueError("integer out of range")
    number = int(text)
    if not DB_INT_MIN <= number <= DB_INT_MAX:
        raise ValueError("integer out of range")
    return number


def usable_date(value: date | None) -> date | None:
    """``value`` (a date or datetime) if it lies between 1900 and 2199, else None."""
    if value is None:
        return None
    day = value.date() if isinstance(value, datetime) else value
    return value if EARLIEST_DATE <= day <= LATEST_DATE else None


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: only numbers that can be a row id; anything else is 404."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = None, signed: bool = False) -> None:  # noqa: A002
        # Werkzeug's own keyword names, so ``<int(max=…):…>`` keeps working.
        top = DB_INT_MAX if max is None else builtins.min(max, DB_INT_MAX)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=top, signed=signed)

    def to_python(self, value: str) -> int:
        if len(value.lstrip("0")) > _MAX_DIGITS:
            raise ValidationError()
        return super().to_python(value)  # type: ignore[no-any-return]


class BoundedArgs(ImmutableMultiDict[str, str]):
    """Query-string and form values whose ``type=int`` conversion keeps to the database range."""

    def get(self, key: str, default: Any = None, type: Any = None) -> Any:  # noqa: A002
        return super().get(key, default, type=db_int if type is int else type)

    def getlist(self, key: str, type: Any = None) -> list[Any]:  # noqa: A002
        return super().getlist(key, type=db_int if type is int else type)


class Request(_Request):
    parameter_storage_class = BoundedArgs


def _valid_text(raw: bytes) -> str | None:
    """A raw path, query string or form body as text, or None if its bytes are not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _path_text(environ: dict[str, Any]) -> str | None:
    """The path as sent, decoded strictly. Servers (Werkzeug's, and its test client) unquote the
    path into PATH_INFO replacing bytes that are not UTF-8, so the raw URI is checked when the
    server passes it on (gunicorn: RAW_URI; Werkzeug, uWSGI, mod_wsgi: REQUEST_URI)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        raw_path = urlsplit(raw).path.encode("latin-1", "replace")  # WSGI strings are latin-1
        return _valid_text(unquote_to_bytes(raw_path))
    return _valid_text(environ.get("PATH_INFO", "").encode("latin-1", "replace"))


def _pairs(text: str) -> list[tuple[str, str]] | None:
    """The decoded name/value pairs of a query string or form body; None if a %-escape is not
    UTF-8 (Werkzeug would keep such an escape as literal text instead of refusing it)."""
    try:
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return None


def refuse_malformed_request() -> None:
    """Before any view: 400 for bytes that are not text and for bodies that are not a form."""
    path = _path_text(request.environ)
    if path is None or CONTROL_CHARACTERS.search(path):
        abort(400, description=BAD_BYTES)
    query = _valid_text(request.query_string)
    pairs = _pairs(query) if query is not None else None
    if pairs is None or any(CONTROL_CHARACTERS.search(k + v) for k, v in pairs):
        abort(400, description=BAD_BYTES)
    if not _has_body() or any(request.path.startswith(p) for p in OWN_BODY_PREFIXES):
        return
    upload_limit = UPLOAD_LIMITS.get(request.endpoint or "")
    if upload_limit is not None and request.mimetype == UPLOAD_MIMETYPE:
        request.max_content_length = upload_limit()
        return
    if request.mimetype != FORM_MIMETYPE:
        abort(400, description=BAD_BODY)
    # The body is read once and cached; request.form parses the cached bytes afterwards.
    body = _valid_text(request.get_data(cache=True))
    if body is None or _pairs(body) is None:
        abort(400, description=BAD_BYTES)


def _has_body() -> bool:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    return bool(request.content_length) or "chunked" in request.headers.get(
        "Transfer-Encoding", "").lower()


def install_converters(app: Flask) -> None:
    """Before any blueprint adds its rules: a rule binds its converters when it is added."""
    app.url_map.converters["int"] = IdConverter


def register(app: Flask) -> None:
    app.request_class = Request
    # A form body is a few kilobytes; the limit keeps a hostile one from being read into memory.
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    # First of the before-request functions, so a malformed request meets no other code (the
    # CSRF check reads the form).
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_malformed_request)
