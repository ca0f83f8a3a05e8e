"""Template filters: local time display and labels."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_babel import format_datetime


def register(app: Flask) -> None:
    @app.template_filter("local_dt")
    def local_dt(value: datetime | None, fmt: str = "short") -> str:
        """UTC in the database, Asia/Almaty (or the configured zone) on screen."""
        return format_datetime(value, fmt) if value else "—"
