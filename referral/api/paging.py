"""Cursor pagination: an opaque cursor names the last row seen, so pages stay stable while new
rows arrive (an offset would skip or repeat rows)."""

from __future__ import annotations

import base64
import json
from typing import Any, Generic, TypeVar

from flask_babel import gettext as _
from pydantic import BaseModel, Field

from referral.api.problems import Problem

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class PageQuery(BaseModel):
    """The paging part of a list's query string (list queries extend it with their filters)."""

    cursor: str | None = Field(None, description="From the previous page's next_cursor.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="Absent on the last page.")


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """The position a cursor names; a cursor we did not make is a 422 problem, not a 500."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        position = None
    if not isinstance(position, dict):
        raise invalid_cursor()
    return position


def invalid_cursor() -> Problem:
    """The one answer to a cursor we did not make (or whose position does not fit the list)."""
    return Problem(422, _("The request is not valid"), _("The cursor is not valid."),
                   type_="invalid-request",
                   errors=[{"in": "query", "pointer": "/cursor",
                            "detail": _("The cursor is not valid."), "code": "cursor_invalid"}])
