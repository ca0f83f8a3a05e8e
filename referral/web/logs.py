"""Structured logs: one JSON object a line on stdout, from web, worker and beat alike.

Every line carries the context of what produced it (the request's id, URL rule and method, the
user's and agency's ids; or the Celery task's name and id), never what a user typed: no names,
IINs, e-mail addresses, notes or tokens. The URL *rule* (``/cases/<int:case_id>``) is logged,
never the path or its query string, which may carry a reset token. The redaction filter on
every handler masks what still slips into a message (docs/operations.md, "Logs").
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request
from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

HEADER = "X-Request-ID"
FORMATS = ("json", "text")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# The context fields every line may carry, in the order they are written.
CONTEXT_FIELDS = ("request_id", "method", "route", "endpoint", "status", "duration_ms",
                  "user_id", "agency_id", "task_name", "task_id")
# An incoming id (from a trusted proxy only) must look like one: no room for text or markup.
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_context: ContextVar[dict[str, Any] | None] = ContextVar("referral_log_context", default=None)
ACCESS = logging.getLogger("referral.access")

# --- context -----------------------------------------------------------------------------------


def bind(**fields: Any) -> None:
    """Add fields to every line logged from here on in this request or task."""
    _context.set({**(_context.get() or {}), **fields})


def clear() -> None:
    _context.set(None)


def current_request_id() -> str | None:
    return (_context.get() or {}).get("request_id")


class ContextFilter(logging.Filter):
    """Copies the request's or task's context onto each record (a field set by ``extra=``
    wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_context.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


# --- redaction ---------------------------------------------------------------------------------

_IIN = re.compile(r"\b\d{12}\b")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_SECRET = re.compile(
    r"(?i)(\b(?:password|passwd|pwd|token|secret|api[_-]?key|authorization|otp|totp|sid"
    r"|csrf_token|session)\w*['\"]?\s*[=:]\s*(?:bearer\s+)?)"
    r"(\"[^\"]*\"|'[^']*'|[^\s&,;)}\]'\"]+)")
# Our own bearer secrets announce themselves (API tokens "rfa_…", Standard Webhooks secrets
# "whsec_…"), so they are masked wherever they appear, not only after a "token=" label.
_MARKED_SECRET = re.compile(r"\b(rfa|whsec)_[A-Za-z0-9_+/=-]{8,}")
# SQLAlchemy puts a failed statement's bound values into its exception text.
_SQL_PARAMETERS = re.compile(r"\[parameters: [^\n]*")  # one line: repr() escapes newlines
_OWN_FIELDS = frozenset(CONTEXT_FIELDS)
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime"}


def redact(text: str) -> str:
    """Masks IIN-like numbers, e-mail addresses and secret-looking values."""
    text = _SQL_PARAMETERS.sub("[parameters: redacted]", text)
    text = _EMAIL.sub("[email]", text)
    text = _SECRET.sub(lambda m: m.group(1) + "[redacted]", text)
    text = _MARKED_SECRET.sub(lambda m: m.group(1) + "_[redacted]", text)
    return _IIN.sub("[iin]", text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(item) for item in value]
    return value


class RedactFilter(logging.Filter):
    """Defence in depth on every handler: code must not log personal data in the first place,
    and this masks what a regular expression can recognise (not names or free text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format must not lose the line
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
            record.exc_info = None  # the redacted text stands for it in every formatter
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in list(vars(record).items()):
            # ``extra`` fields: Celery's ``data`` holds the task's traceback and arguments.
            if key not in _RECORD_FIELDS and key not in _OWN_FIELDS and not key.startswith("_"):
                setattr(record, key, _redact_value(value))
        record._redacted = True
        return True


class DropDevServerRequestLines(logging.Filter):
    """The development server's own request line holds the raw path and query string; the
    app's access line (logger ``referral.access``) replaces it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == "werkzeug" and '"%s" %s %s' in str(record.msg))


# --- formatting --------------------------------------------------------------------------------


def utc_time(record: logging.LogRecord) -> str:
    stamp = datetime.fromtimestamp(record.created, UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(_BaseJsonFormatter):
    """time, level, logger, message, then the context fields present, then ``extra`` ones."""

    def __init__(self) -> None:
        super().__init__(json_ensure_ascii=False)

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord,
                   message_dict: dict[str, Any]) -> None:
        log_data["time"] = utc_time(record)
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["message"] = record.getMessage()
        for key in CONTEXT_FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                log_data[key] = value
        for key, value in vars(record).items():
            if (key not in _RECORD_FIELDS and key not in _OWN_FIELDS and key not in log_data
                    and not key.startswith("_")):
                log_data[key] = value
        log_data.update(message_dict)
        data = log_data.get("data")
        if isinstance(data, dict) and "traceback" in data and "exc_info" in log_data:
            log_data["data"] = {k: v for k, v in data.items() if k != "traceback"}  # twice else


class TextFormatter(logging.Formatter):
    """One readable line for ``make run``: the same fields, the request id in brackets."""

    def format(self, record: logging.LogRecord) -> str:
        record.asctime = utc_time(record)
        ident = getattr(record, "request_id", None) or getattr(record, "task_id", None) or "-"
        line = f"{record.asctime} {record.levelname:<7} {record.name} [{ident}] " \
               f"{record.getMessage()}"
        if getattr(record, "duration_ms", None) is not None:
            line += f" ({record.duration_ms} ms)"
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line += "\n" + record.exc_text
        return line


def make_formatter(fmt: str) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else TextFormatter()


class StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is when the line is written (a test's capture replaces
    it; a handler holding the old, closed stream would fail)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def install_filters(handler: logging.Handler) -> None:
    """The filters every handler of ours carries, in this order: the development server's
    request line dropped while still recognisable, the context added, then everything
    redacted."""
    for kind in (DropDevServerRequestLines, ContextFilter, RedactFilter):
        if not any(isinstance(f, kind) for f in handler.filters):
            handler.addFilter(kind())


def configure_logging(fmt: str = "json", level: str = "INFO") -> logging.Handler:
    """One stdout handler on the root logger (replacing an earlier one of ours), and the
    redaction filter on every root handler. Idempotent: create_app runs it each time."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_referral", False)]:
        root.removeHandler(old)
    handler = StdoutHandler()
    handler._referral = True  # type: ignore[attr-defined]
    handler.setFormatter(make_formatter(fmt))
    root.addHandler(handler)
    for each in root.handlers:
        install_filters(each)
    root.setLevel(level)
    return handler


# --- Flask -------------------------------------------------------------------------------------


def _incoming_id(app: Flask) -> str | None:
    # Only a proxy we were told to trust may name the request; anyone else could forge ids.
    if not app.config.get("TRUSTED_PROXIES"):
        return None
    value = request.headers.get(HEADER, "")
    return value if _VALID_ID.match(value) else None


def _user_ids() -> tuple[int | None, int | None]:
    """The logged-in user's and agency's ids, read without a query (login's user too)."""
    from sqlalchemy import inspect

    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None, None
    state = inspect(user, raiseerr=False)
    if state is None or state.identity is None:
        return None, None
    return state.identity[0], user.__dict__.get("agency_id")


def register(app: Flask) -> None:
    """The request id, the context of each line, and one access line per request."""
    configure_logging(app.config.get("LOG_FORMAT", "json"), app.config.get("LOG_LEVEL", "INFO"))

    def _begin() -> None:
        g.request_id = _incoming_id(app) or uuid.uuid4().hex
        g.log_started = time.perf_counter()
        rule = request.url_rule.rule if request.url_rule else None
        _context.set({"request_id": g.request_id, "method": request.method, "route": rule,
                      "endpoint": request.endpoint})
        # gunicorn's access line (referral/web/gunicorn_logging.py) reads these from environ.
        request.environ["referral.request_id"] = g.request_id
        request.environ["referral.route"] = rule

    # First of all before-request functions, so that whatever they log carries the id.
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)

    @app.after_request
    def _access(response: Response) -> Response:
        if "request_id" not in g:
            _begin()
        user_id, agency_id = _user_ids()
        if user_id is not None:
            bind(user_id=user_id, agency_id=agency_id)
            request.environ["referral.user_id"] = user_id
            request.environ["referral.agency_id"] = agency_id
        response.headers[HEADER] = g.request_id
        duration = round((time.perf_counter() - g.log_started) * 1000, 1)
        rule = request.url_rule.rule if request.url_rule else None
        ACCESS.info("%s %s %s", request.method, rule or "-", response.status_code,
                    extra={"status": response.status_code, "duration_ms": duration})
        return response

    @app.teardown_request
    def _forget(_exc: BaseException | None) -> None:
        clear()

    @app.context_processor
    def _request_id() -> dict[str, Any]:
        return {"request_id": g.get("request_id")}
