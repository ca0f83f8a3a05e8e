"""Errors as RFC 9457 problem details (``application/problem+json``), in the caller's language."""

from __future__ import annotations

import json
from typing import Any

from flask import Response

PROBLEM_TYPE_BASE = "/api/v1/problems/"
MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    """Raised by API code to answer with a problem document; ``title`` and ``detail`` are
    already translated for the caller."""

    def __init__(self, status: int, title: str, detail: str | None = None, *,
                 type_: str = "about:blank", headers: dict[str, str] | None = None,
                 **extensions: Any) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_
        self.headers = headers or {}
        self.extensions = extensions


def problem_response(problem: Problem) -> Response:
    body: dict[str, Any] = {"type": problem.type, "title": str(problem.title),
                            "status": problem.status}
    if problem.detail:
        body["detail"] = str(problem.detail)
    body.update(problem.extensions)
    response = Response(json.dumps(body, ensure_ascii=False, default=str),
                        status=problem.status, mimetype=MEDIA_TYPE)
    response.headers.update(problem.headers)
    return response
