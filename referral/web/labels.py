"""Template filters that turn stored codes into words of the user's language.

Roles, risk levels, regions and the display time zone are stored as codes (``officer``,
``high``, ``KZ-75``, ``Asia/Almaty``); a page prints the label, never the code. Each filter reads
the one label table of its domain, so a page cannot drift from the case page's wording. An
unknown code falls back to the code itself rather than failing the page.
"""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context
from flask_babel import lazy_gettext as _l

# The zones of Kazakhstan (one offset since March 2024, several names in tzdata) and UTC.
TIMEZONE_LABELS = {
    "Asia/Almaty": _l("Almaty time"),
    "Asia/Astana": _l("Astana time"),
    "Asia/Qostanay": _l("Kostanay time"),
    "Asia/Aqtobe": _l("Aktobe time"),
    "Asia/Aqtau": _l("Aktau time"),
    "Asia/Atyrau": _l("Atyrau time"),
    "Asia/Oral": _l("Oral time"),
    "Asia/Qyzylorda": _l("Kyzylorda time"),
    "UTC": _l("Coordinated Universal Time (UTC)"),
}


def role_label(code: str | None) -> str:
    from referral.access.permissions import ROLE_LABELS

    return str(ROLE_LABELS.get(code, code or ""))  # type: ignore[call-overload]


def risk_label(code: str | None) -> str:
    from referral.cases.models import RISK_LEVEL_LABELS

    return str(RISK_LEVEL_LABELS.get(code, code or ""))  # type: ignore[call-overload]


def _region_names() -> dict[str, object]:
    """Every region by code, read once per request (17 rows) however many a page prints."""
    from referral.agencies.models import Region
    from referral.extensions import db

    if has_request_context() and "region_rows" in g:
        return g.region_rows  # type: ignore[no-any-return]
    rows = {r.code: r for r in db.session.execute(db.select(Region)).scalars()}
    if has_request_context():
        g.region_rows = rows
    return rows


def region_name(code: str | None) -> str:
    """The region's name in the user's language (regions.json has all three)."""
    if not code:
        return ""
    region = _region_names().get(code)
    return region.name if region is not None else code  # type: ignore[attr-defined]


def timezone_label(name: str | None = None) -> str:
    """"Almaty time" for Asia/Almaty: the display zone (by default) in words."""
    name = name or current_app.config.get("DISPLAY_TIMEZONE", "Asia/Almaty")
    return str(TIMEZONE_LABELS.get(name, name))


def register(app: Flask) -> None:
    app.add_template_filter(role_label, "role_label")
    app.add_template_filter(risk_label, "risk_label")
    app.add_template_filter(region_name, "region_name")
    app.add_template_filter(timezone_label, "timezone_label")
    app.add_template_global(timezone_label, "timezone_label")
