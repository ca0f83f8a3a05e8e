"""Every error of an API call as a problem document: domain refusals, 404s (audited like a
page's), HTTP errors and the unexpected, never an HTML page."""

from __future__ import annotations

import logging

from flask import Response, current_app, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from referral.api.problems import Problem, problem_response
from referral.api.views.blueprint import bp
from referral.audit import service as audit
from referral.errors import DomainError, IllegalTransition, NotVisible, ReadOnlyAccess, StaleEdit
from referral.extensions import db
from referral.web.errors import register_error_responder

log = logging.getLogger(__name__)


def _titles() -> dict[int, str]:
    return {400: _("Bad request"), 401: _("Authentication required"), 403: _("Forbidden"),
            404: _("Not found"), 405: _("Method not allowed"), 409: _("Conflict"),
            412: _("The record has changed"), 413: _("The request is too large"),
            415: _("Unsupported media type"), 422: _("The request cannot be done"),
            428: _("A precondition is required"), 429: _("Too many requests"),
            500: _("Internal error"), 503: _("Service unavailable")}


def title_for(status: int) -> str:
    return _titles().get(status, _("Error"))


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
    return problem_response(Problem(status, title_for(status), exc.message, **extra))


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException) -> Response:
    db.session.rollback()
    return http_problem(exc.code or 500)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    if current_app.config.get("TESTING") and current_app.config.get("PROPAGATE_UNEXPECTED", True):
        raise exc
    db.session.rollback()
    log.exception("unhandled API error")
    return problem_response(Problem(500, title_for(500)))


def http_problem(status: int) -> Response:
    return problem_response(Problem(status, title_for(status)))


# Errors raised outside the API's views (an unknown /api/v1 path, a wrong method) are answered
# as problems too.
register_error_responder(bp.url_prefix or "/api/v1", http_problem)


def is_api_request() -> bool:
    return request.path.startswith(bp.url_prefix or "/api/v1")
