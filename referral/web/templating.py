"""Template filters: local time display, labels, and row links built once per page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Flask, current_app, url_for
from flask_babel import format_datetime

_MARKER = 987654321  # an id no row has: replaced by each row's own


def url_maker(endpoint: str, argument: str) -> Callable[[object], str] | None:
    """A link builder for rows that differ by one integer id: ``url_for`` runs once and each
    row only fills in its id (a list of 300 rows with four links each spent more time in
    ``url_for`` than in its query). None when the endpoint is not registered."""
    if endpoint not in current_app.view_functions:
        return None
    head, _, tail = url_for(endpoint, **{argument: _MARKER}).partition(str(_MARKER))
    return lambda value: f"{head}{value}{tail}"


def register(app: Flask) -> None:
    @app.template_filter("local_dt")
    def local_dt(value: datetime | None, fmt: str = "short") -> str:
        """UTC in the database, Asia/Almaty (or the configured zone) on screen."""
        return format_datetime(value, fmt) if value else "—"

    app.add_template_global(url_maker, "url_maker")
