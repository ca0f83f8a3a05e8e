"""Query strings and JSON bodies into their typed models; bad input answers 400/422 with every
field's error, in the caller's language."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import request
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError

from referral.api.problems import Problem
from referral.web.input import DB_INT_MAX, DB_INT_MIN

M = TypeVar("M", bound=BaseModel)


def _message(kind: str) -> str:
    """Our translated words for pydantic's error kinds (its own messages are English only)."""
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("This field is not known.")
    if kind.endswith(("too_long", "too_short")):
        return _("This value's length is not allowed.")
    if kind.startswith(("greater_than", "less_than")):
        return _("This value is out of range.")
    if kind in ("enum", "literal_error"):
        return _("This value is not one of the allowed ones.")
    return _("This value is missing or not valid.")


def _pointer(loc: tuple[Any, ...]) -> str:
    """A JSON pointer (RFC 6901) to the field."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in loc)


def _field_errors(exc: ValidationError, where: str) -> list[dict[str, Any]]:
    """One entry per field: where (``body`` or ``query`` and a JSON pointer), what is wrong
    (translated) and pydantic's error code (stable, for programs)."""
    return [{"in": where, "pointer": _pointer(error["loc"]), "detail": _message(error["type"]),
             "code": error["type"]}
            for error in exc.errors(include_url=False, include_input=False)]


def _invalid(exc: ValidationError, where: str) -> Problem:
    return Problem(422, _("The request is not valid"),
                   _("Some fields are missing or not valid; see 'errors'."),
                   type_="invalid-request", errors=_field_errors(exc, where))


def _too_large(value: Any, loc: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Where an integer lies outside the database's integer columns: such a number can name no
    row, and a query with it fails in the driver (a 500) instead of finding nothing."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [] if DB_INT_MIN <= value <= DB_INT_MAX else [loc]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _too_large(item, (*loc, key))]
    if isinstance(value, list | tuple | set | frozenset):
        return [found for i, item in enumerate(value) for found in _too_large(item, (*loc, i))]
    return []


def _validated(model: type[M], data: Any, where: str) -> M:
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        raise _invalid(exc, where) from None
    out_of_range = _too_large(parsed.model_dump())
    if out_of_range:
        raise Problem(422, _("The request is not valid"),
                      _("Some fields are missing or not valid; see 'errors'."),
                      type_="invalid-request",
                      errors=[{"in": where, "pointer": _pointer(loc),
                               "detail": _("This value is out of range."),
                               "code": "less_than_equal"} for loc in out_of_range])
    return parsed


def parse_query(model: type[M]) -> M:
    values: dict[str, Any] = {}
    for key in request.args:
        items = request.args.getlist(key)
        values[key] = items if len(items) > 1 else items[0]
    return _validated(model, values, "query")


def parse_body(model: type[M]) -> M:
    if not request.is_json:
        raise Problem(415, _("Unsupported media type"),
                      _("Send the body as JSON with 'Content-Type: application/json'."))
    data = request.get_json(silent=True)
    if data is None:
        raise Problem(400, _("Bad request"), _("The body is not valid JSON."))
    return _validated(model, data, "body")
