"""The app as the benchmark runs it: the real app, plus a floor endpoint, a server-side timer and
a SQL statement counter. Nothing here is registered on the production app.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Blueprint, Flask, current_app, render_template, render_template_string
from jinja2 import Template
from sqlalchemy import event

FLOOR_TEMPLATE = "<!doctype html><title>{{ title }}</title><p>{{ title }}</p>"
SECRET = "bench-secret-key-not-for-production-0123456789"  # noqa: S105


def floor_blueprint() -> Blueprint:
    """A bare page: a minimal template and no query (the framework floor).

    ``/_bench/floor`` renders a template compiled once, as every real page's template is (the
    Jinja loader keeps them); ``/_bench/floor-uncompiled`` compiles it on every request, which
    made the old floor about half as fast and every page's share of it look twice as good."""
    bp = Blueprint("bench_floor", __name__)
    compiled: list[Template] = []

    @bp.get("/_bench/floor")
    def floor() -> str:
        if not compiled:
            compiled.append(current_app.jinja_env.from_string(FLOOR_TEMPLATE))
        return render_template(compiled[0], title="floor")

    @bp.get("/_bench/floor-uncompiled")
    def floor_uncompiled() -> str:
        return render_template_string(FLOOR_TEMPLATE, title="floor")

    return bp


class Meter:
    """WSGI middleware: wall time from the call until the body is fully sent, and SQL count."""

    def __init__(self, app: Flask) -> None:
        self.wsgi = app.wsgi_app
        self.queries = 0
        self.last_ms = 0.0
        self.last_queries = 0

    def count(self, *_args: Any) -> None:
        self.queries += 1

    def __call__(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        self.queries = 0
        started = time.perf_counter()
        body = self.wsgi(environ, start_response)
        return self._drain(body, started)

    def _drain(self, body: Iterable[bytes], started: float) -> Iterator[bytes]:
        try:
            yield from body
        finally:
            close = getattr(body, "close", None)
            if close:
                close()
            self.last_ms = (time.perf_counter() - started) * 1000
            self.last_queries = self.queries


def make_bench_app(database_url: str, **extra: Any) -> Flask:
    from referral import create_app
    from referral.config import normalise_database_url
    from referral.extensions import db

    config = {"ENV_NAME": "development", "SECRET_KEY": SECRET, "TESTING": False,
              "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
              "DEMO_ALLOWED": False, **extra}
    app = create_app(config)
    app.register_blueprint(floor_blueprint())
    meter = Meter(app)
    app.wsgi_app = meter  # type: ignore[method-assign]
    app.extensions["bench_meter"] = meter
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", meter.count)
    return app


_CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
_VALUE = re.compile(r'value="([^"]*)"')


def csrf_token(html: str) -> str:
    tag = _CSRF.search(html)
    if not tag:
        raise RuntimeError("no csrf_token on the page")
    value = _VALUE.search(tag.group(0))
    if not value:
        raise RuntimeError("csrf_token without a value")
    return value.group(1)
