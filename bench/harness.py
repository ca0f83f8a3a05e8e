"""The app as the benchmark runs it: the real app, plus a floor endpoint, a server-side timer and
a SQL statement counter. Nothing here is registered on the production app.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Blueprint, Flask, current_app, render_template, render_template_string
from flask_login import login_required
from jinja2 import Template
from sqlalchemy import event

from referral.access.scope import current_actor
from referral.audit import service as audit
from referral.extensions import db

FLOOR_TEMPLATE = "<!doctype html><title>{{ title }}</title><p>{{ title }}</p>"
# The application's page frame (header, navigation, bell, footer) around nothing.
FRAME_TEMPLATE = '{% extends "base.html" %}{% block content %}{% endblock %}'
SECRET = "bench-secret-key-not-for-production-0123456789"  # noqa: S105


def floor_blueprint() -> Blueprint:
    """A bare page: a minimal template and no query (the framework floor).

    ``/_bench/floor`` renders a template compiled once, as every real page's template is (the
    Jinja loader keeps them); ``/_bench/floor-uncompiled`` compiles it on every request, which
    made the old floor about half as fast and every page's share of it look twice as good."""
    bp = Blueprint("bench_floor", __name__)

    @bp.get("/_bench/floor")
    def floor() -> str:
        return render_template(_compiled(FLOOR_TEMPLATE), title="floor")

    @bp.get("/_bench/floor-uncompiled")
    def floor_uncompiled() -> str:
        return render_template_string(FLOOR_TEMPLATE, title="floor")

    ladder_routes(bp)
    return bp


def _compiled(source: str) -> Template:
    """A template compiled on first use and kept with its app, as the Jinja loader keeps every
    page's (with the app: a template is bound to the environment that compiled it)."""
    kept = current_app.extensions.setdefault("bench_templates", {})
    if source not in kept:
        kept[source] = current_app.jinja_env.from_string(source)
    return kept[source]


def ladder_routes(bp: Blueprint) -> None:
    """The floor ladder: what every logged-in, audited page must do before it reads anything.

    Each rung adds one duty the rules fix for every page: the session and its user (Flask-Login,
    the session row, the actor's scope); one audit row written and committed in the request's
    transaction (every read of a case is audited there); then the application's page frame. A
    page that does all of this and more cannot be served faster than the rung below it, so
    the rungs show how much of a page's share of the floor is left for its own work."""

    @bp.get("/_bench/floor-session")
    @login_required
    def floor_session() -> str:
        current_actor()
        return render_template(_compiled(FLOOR_TEMPLATE), title="floor")

    @bp.get("/_bench/floor-audited")
    @login_required
    def floor_audited() -> str:
        _audit_one_row()
        return render_template(_compiled(FLOOR_TEMPLATE), title="floor")

    @bp.get("/_bench/floor-framed")
    @login_required
    def floor_framed() -> str:
        _audit_one_row()
        return render_template(_compiled(FRAME_TEMPLATE))


def _audit_one_row() -> None:
    """What an audited read adds to its request: the actor, one audit row, the commit."""
    current_actor()
    audit.record("bench.floor", object_type="bench")
    db.session.commit()


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
