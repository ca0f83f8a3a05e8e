"""Query strings and JSON bodies into their typed models; bad input answers 400/422 with every
field's error, in the caller's language."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import request
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError

from referral.api.problems import Problem

M = TypeVar("M", bound=BaseModel)


def _field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """One entry per field: where (a JSON pointer) and what is wrong.

    The message is ours, not pydantic's English text, so that it reaches the caller translated.
    """
    found = []
    for error in exc.errors(include_url=False, include_input=False):
        pointer = "/" + "/".join(str(part) for part in error["loc"])
        found.append({"pointer": pointer, "detail": _("This value is missing or not valid."),
                      "code": error["type"]})
    return found


def _invalid(exc: ValidationError) -> Problem:
    return Problem(422, _("The request is not valid"),
                   _("Some fields are missing or not valid; see 'errors'."),
                   errors=_field_errors(exc))


def parse_query(model: type[M]) -> M:
    values: dict[str, Any] = {}
    for key in request.args:
        items = request.args.getlist(key)
        values[key] = items if len(items) > 1 else items[0]
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise _invalid(exc) from None


def parse_body(model: type[M]) -> M:
    if not request.is_json:
        raise Problem(415, _("Send the body as JSON"),
                      _("Use 'Content-Type: application/json'."))
    data = request.get_json(silent=True)
    if data is None:
        raise Problem(400, _("The body is not valid JSON"))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _invalid(exc) from None
