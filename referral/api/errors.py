"""Every error of an API call as a problem document: domain refusals, 404s (audited like a
page's), HTTP errors and the unexpected, never an HTML page. Also the API's place in the pages'
shared request handling: its language rule and its JSON bodies."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import Response, current_app, g, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from referral.api.blueprint import bp
from referral.api.problems import PROBLEM_TYPES, STATUS_TYPES, Problem, problem_response
from referral.audit import service as audit
from referral.errors import DomainError, IllegalTransition, NotVisible, ReadOnlyAccess, StaleEdit
from referral.extensions import db
from referral.web.errors import register_error_responder
from referral.web.i18n import register_locale_chooser
from referral.web.input import OWN_BODY_PREFIXES

log = logging.getLogger(__name__)
PREFIX = bp.url_prefix or "/api/v1"
# Pages under the prefix, for people: the signed-in user's language rule applies there.
HTML_ENDPOINTS = frozenset({"api.reference", "api.problem_type"})


def title_for(status: int) -> str:
    """The translated title of a status's problem type."""
    kind = PROBLEM_TYPES.get(STATUS_TYPES.get(status, ""))
    return str(kind.title) if kind else str(PROBLEM_TYPES["bad-request"].title)


def problem_for(exc: Exception) -> Response:
    """The problem document for an exception an operation raised (the idempotency hook stores
    some of these answers, so it builds them here rather than letting them propagate)."""
    if isinstance(exc, Problem):
        db.session.rollback()
        return problem_response(exc)
    if isinstance(exc, NotVisible):
        return _not_visible(exc)
    if isinstance(exc, DomainError):
        return _domain(exc)
    if isinstance(exc, HTTPException):
        return _http(exc)
    raise exc


@bp.errorhandler(Problem)
def _problem(exc: Problem) -> Response:
    db.session.rollback()
    return problem_response(exc)


@bp.errorhandler(NotVisible)
def _not_visible(exc: NotVisible) -> Response:
    db.session.rollback()
    audit.record(f"{exc.object_type}.access", object_type=exc.object_type,
                 object_id=exc.object_id, outcome="denied")
    db.session.commit()
    return problem_response(Problem(404, title_for(404)))


@bp.errorhandler(DomainError)
def _domain(exc: DomainError) -> Response:
    db.session.rollback()
    if isinstance(exc, ReadOnlyAccess):
        status = 403
    elif isinstance(exc, StaleEdit):
        status = 412
    elif isinstance(exc, IllegalTransition):
        status = 409
    else:
        status = 422
    extra = {"field": exc.field} if exc.field else {}
    # A 422 here is a rule's refusal of a well-formed request, not a field's validation.
    kind = "refused" if status == 422 else STATUS_TYPES[status]
    return problem_response(Problem(status, str(PROBLEM_TYPES[kind].title), str(exc.message),
                                    type_=kind, **extra))


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException) -> Response:
    db.session.rollback()
    return http_problem(exc)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    if current_app.config.get("TESTING") and current_app.config.get("PROPAGATE_UNEXPECTED", True):
        raise exc
    db.session.rollback()
    log.exception("unhandled API error")
    return problem_response(Problem(500, title_for(500)))


def http_problem(exc: HTTPException | int) -> Response:
    """An HTTP error as a problem; a 405 keeps its ``Allow`` header.

    Werkzeug answers 405 when a path's id is refused by its converter (``/cases/99999999999``)
    and another method's rule has the same shape; no method reaches such a path, so it is 404.
    """
    if isinstance(exc, MethodNotAllowed) and not _reachable(exc.valid_methods or ()):
        exc = 404
    status = exc if isinstance(exc, int) else (exc.code or 500)
    headers = {}
    if not isinstance(exc, int):
        headers = {k: v for k, v in exc.get_headers() if k.lower() in ("allow", "retry-after")}
    return problem_response(Problem(status, title_for(status), headers=headers))


def _reachable(methods: Iterable[str]) -> bool:
    """Whether the request's path matches a rule with one of ``methods`` (ids converted)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in methods:
        try:
            adapter.match(method=method)
        except HTTPException:
            continue
        return True
    return False


def api_locale(languages: list[str]) -> str | None:
    """An API call's language: Accept-Language, else its token's user's setting, else the
    deployment's default. A session cookie never counts (it does not authenticate a call)."""
    if request.endpoint in HTML_ENDPOINTS:
        return None
    chosen = request.accept_languages.best_match(languages)
    token = g.get("api_token")
    if chosen is None and token is not None and token.user.locale in languages:
        chosen = token.user.locale
    return chosen or current_app.config["BABEL_DEFAULT_LOCALE"]


# Errors raised outside the API's views (an unknown /api/v1 path, a wrong method) are answered
# as problems too; calls are in the caller's language; their JSON bodies reach the views, which
# refuse what they cannot read with a problem (415, 400, 422).
register_error_responder(PREFIX, http_problem)
register_locale_chooser(PREFIX, api_locale)
OWN_BODY_PREFIXES.add(PREFIX + "/")


def is_api_request() -> bool:
    return request.path.startswith(PREFIX)
