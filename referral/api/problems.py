"""Errors as RFC 9457 problem details (``application/problem+json``), in the caller's language.

Every problem names its type with a URI of ours, ``<PUBLIC_BASE_URL>/api/v1/problems/<slug>``,
and that URI is a page explaining it (``views/reference.py``). A client branches on ``type`` (it
never changes) and shows ``title``/``detail`` (translated for the caller's Accept-Language). One
rule for every problem, so that no client has to handle both ``about:blank`` and our own types.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, has_app_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

PROBLEM_TYPE_BASE = "/api/v1/problems/"
MEDIA_TYPE = "application/problem+json"


@dataclass(frozen=True)
class ProblemType:
    """One kind of problem: its slug (the end of its ``type`` URI), status, title and what a
    client should do about it (the text of its page)."""

    slug: str
    status: int
    title: Any  # a lazy string
    description: Any


PROBLEM_TYPES: dict[str, ProblemType] = {t.slug: t for t in (
    ProblemType("bad-request", 400, _l("Bad request"),
                _l("The request could not be read, e.g. its body is not valid JSON or a header "
                   "is malformed. Correct the request before sending it again.")),
    ProblemType("authentication-required", 401, _l("Authentication required"),
                _l("The call carries no API token, or the token is unknown, revoked or "
                   "expired. Send a valid token as 'Authorization: Bearer <token>'.")),
    ProblemType("forbidden", 403, _l("Forbidden"),
                _l("The token may see the record but not change it (for example, access "
                   "granted for reading only).")),
    ProblemType("not-found", 404, _l("Not found"),
                _l("There is no such path or record, or the token may not see it: the API "
                   "does not tell these apart, as the pages do not.")),
    ProblemType("method-not-allowed", 405, _l("Method not allowed"),
                _l("The path exists but not with this method; the 'Allow' header lists the "
                   "methods it accepts.")),
    ProblemType("conflict", 409, _l("Conflict"),
                _l("The record is not in a state that allows this action (for example, a "
                   "referral that was already declined). Read it again before deciding.")),
    ProblemType("idempotency-key-in-use", 409, _l("The same request is still running"),
                _l("A request with this Idempotency-Key has not finished yet. Wait a moment "
                   "and send it again with the same key: you will get its answer.")),
    ProblemType("precondition-failed", 412, _l("The record has changed"),
                _l("The 'If-Match' header does not name the record's current version: someone "
                   "changed it after you read it. Read it again, then retry with its new ETag.")),
    ProblemType("too-large", 413, _l("The request is too large"),
                _l("The request body is larger than the server accepts.")),
    ProblemType("unsupported-media-type", 415, _l("Unsupported media type"),
                _l("Send request bodies as JSON with 'Content-Type: application/json'.")),
    ProblemType("invalid-request", 422, _l("The request is not valid"),
                _l("Some fields are missing or not valid. The 'errors' member lists each one "
                   "with a JSON pointer to the field and a code.")),
    ProblemType("refused", 422, _l("The request cannot be done"),
                _l("The request is well formed but a rule refuses it (the same rule a person "
                   "using the pages meets); 'detail' says which, 'field' names the field.")),
    ProblemType("idempotency-key-reused", 422, _l("The Idempotency-Key was used for another "
                                                  "request"),
                _l("This Idempotency-Key was already used with another method, path or body. "
                   "Use a new key for a new request.")),
    ProblemType("precondition-required", 428, _l("A precondition is required"),
                _l("Changing this record needs its ETag in the 'If-Match' header, so that no "
                   "change is made over one you have not seen.")),
    ProblemType("too-many-requests", 429, _l("Too many requests"),
                _l("The token has made too many calls; wait the seconds 'Retry-After' gives.")),
    ProblemType("internal-error", 500, _l("Internal error"),
                _l("Something failed on our side and nothing was changed. Try again later; if "
                   "it keeps failing, tell the administrators.")),
    ProblemType("service-unavailable", 503, _l("Service unavailable"),
                _l("The service is briefly unavailable; try again later.")),
)}
# The type of a problem raised with a status only.
STATUS_TYPES: dict[int, str] = {
    400: "bad-request", 401: "authentication-required", 403: "forbidden", 404: "not-found",
    405: "method-not-allowed", 409: "conflict", 412: "precondition-failed", 413: "too-large",
    415: "unsupported-media-type", 422: "invalid-request", 428: "precondition-required",
    429: "too-many-requests", 500: "internal-error", 503: "service-unavailable",
}


def type_uri(slug: str) -> str:
    """The ``type`` of a problem: absolute (RFC 9457 recommends it) and stable across hosts."""
    if ":" in slug:  # already a URI (e.g. "about:blank")
        return slug
    base = current_app.config.get("PUBLIC_BASE_URL", "") if has_app_context() else ""
    return f"{base.rstrip('/')}{PROBLEM_TYPE_BASE}{slug}"


class Problem(Exception):
    """Raised by API code to answer with a problem document; ``title`` and ``detail`` are
    already translated for the caller. ``type_`` is a slug of ``PROBLEM_TYPES`` (by default the
    one of ``status``) or a full URI."""

    def __init__(self, status: int, title: str, detail: str | None = None, *,
                 type_: str | None = None, headers: dict[str, str] | None = None,
                 **extensions: Any) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_ or STATUS_TYPES.get(status, "about:blank")
        self.headers = headers or {}
        self.extensions = extensions


def problem_body(problem: Problem) -> dict[str, Any]:
    body: dict[str, Any] = {"type": type_uri(problem.type), "title": str(problem.title),
                            "status": problem.status}
    if problem.detail:
        body["detail"] = str(problem.detail)
    body.update(problem.extensions)
    return body


def problem_response(problem: Problem) -> Response:
    response = Response(json.dumps(problem_body(problem), ensure_ascii=False, default=str),
                        status=problem.status, mimetype=MEDIA_TYPE)
    response.headers.update(problem.headers)
    set_language(response)
    return response


def set_language(response: Response) -> Response:
    """``Content-Language`` says which language the titles are in; ``Vary`` tells caches that
    another Accept-Language gets another text."""
    response.headers["Content-Language"] = str(get_locale() or "en")
    response.vary.add("Accept-Language")
    return response
