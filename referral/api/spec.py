"""The one way to declare an API operation: its route, permission and typed bodies in one place.

``operation`` registers the Flask route on the API blueprint and records an ``Operation``; the
OpenAPI 3.1 document (``openapi.py``) is built from those records, so the document and the code
cannot drift apart. The wrapper authenticates the token, checks the permission table, parses
the query and the JSON body into their models (a problem document on bad input), and renders
what the function returns.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Response
from flask_babel import refresh
from pydantic import BaseModel

from referral.access.permissions import Permission
from referral.api.auth import authenticate
from referral.api.blueprint import bp
from referral.api.parsing import parse_body, parse_query
from referral.api.problems import set_language

JSON = "application/json"


@dataclass(frozen=True)
class Reply:
    """What an operation returns when it needs more than ``200`` and a body."""

    body: BaseModel | dict[str, Any] | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str = JSON


@dataclass(frozen=True)
class Operation:
    endpoint: str
    method: str
    rule: str  # the Flask rule, e.g. /cases/<int:case_id>
    summary: str
    tag: str
    description: str = ""
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None  # None: no body (204) unless ``status`` says else
    status: int = 200
    permission: Permission | None = None
    public: bool = False  # no token needed (the document itself, the reference page)
    if_match: bool = False  # an update: answers with ETag, honours If-Match
    idempotent: bool = False  # a POST honouring Idempotency-Key
    # A POST that only reads (the IIN search): a retry just runs it again, so its answer, which
    # names people, is never stored under an Idempotency-Key.
    read_only: bool = False
    # Members of the answer shown once (a webhook secret): never kept for an Idempotency-Key's
    # replay, which answers them as null.
    shown_once: tuple[str, ...] = ()
    media_type: str = JSON
    errors: tuple[int, ...] = ()
    # The 2xx answer carries the record's ETag (documented); None: when the response model has
    # a ``version`` field.
    etag: bool | None = None
    # The 2xx body's JSON Schema when it is not a model (e.g. this API's own document).
    response_schema: dict[str, Any] | None = None

    @property
    def path(self) -> str:
        """The OpenAPI path: /cases/{case_id}."""
        return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", self.rule)

    @property
    def path_params(self) -> dict[str, str]:
        """Parameter name -> converter (``int``, ``string``)."""
        return {name: conv or "string"
                for conv, name in re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", self.rule)}


OPERATIONS: list[Operation] = []
# Hooks the behaviour modules install around every call (idempotency, rate limits, ETags):
# each takes (operation, call) and returns the response, calling ``call()`` to run the view.
Around = Callable[[Operation, Callable[[], Response]], Response]
AROUND: list[Around] = []


def operation(method: str, rule: str, *, summary: str, tag: str, **options: Any
              ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an API operation (see ``Operation`` for the options)."""

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        op = Operation(endpoint=fn.__name__, method=method.upper(), rule=rule,
                       summary=summary, tag=tag, description=(fn.__doc__ or "").strip(),
                       **options)
        bp.add_url_rule(rule, op.endpoint, make_view(op, fn), methods=[op.method])
        OPERATIONS.append(op)
        return fn

    return decorator


def make_view(op: Operation, fn: Callable[..., Any]) -> Callable[..., Response]:
    """The Flask view of ``op`` (tests mount one on an app of their own, outside the document)."""

    @wraps(fn)
    def view(**path: Any) -> Response:
        if not op.public:
            authenticate(op.permission)
            refresh()  # the call's language may be its token's user's (referral/api/errors.py)
        return _around(op, lambda: render(op, fn(**path, **_inputs(op))))

    return view


def _around(op: Operation, call: Callable[[], Response]) -> Response:
    for hook in reversed(AROUND):
        call = (lambda h, c: lambda: h(op, c))(hook, call)
    return call()


def _inputs(op: Operation) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if op.query is not None:
        found["query"] = parse_query(op.query)
    if op.body is not None:
        found["body"] = parse_body(op.body)
    return found


def render(op: Operation, result: Any) -> Response:
    """A model, a dict, ``None`` or a ``Reply`` as the HTTP response."""
    reply = result if isinstance(result, Reply) else Reply(result, status=op.status,
                                                           media_type=op.media_type)
    if reply.body is None:
        response = Response(status=reply.status if reply.status != 200 else 204)
    else:
        body = reply.body
        text = (body.model_dump_json(by_alias=True, exclude_none=False)
                if isinstance(body, BaseModel) else _dumps(body))
        response = Response(text, status=reply.status, mimetype=reply.media_type)
    response.headers.update(reply.headers)
    return set_language(response)


def _dumps(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False, default=str)


def operations_by_endpoint() -> dict[str, Operation]:
    return {f"api.{op.endpoint}": op for op in OPERATIONS}
