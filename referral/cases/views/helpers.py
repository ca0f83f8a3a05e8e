"""What the case pages share: rendering with the commit, running an action at the boundary,
the labels and choices several pages show."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from referral.cases import incidents
from referral.cases import service as cases
from referral.cases.models import (
    CASE_STATUS_LABELS,
    RELATIONSHIP_LABELS,
    RISK_LEVEL_LABELS,
    SEX_LABELS,
)
from referral.cases.scope import DATA_CATEGORIES
from referral.errors import DomainError, StaleEdit
from referral.extensions import db
from referral.web.forms import attach_error
from referral.web.transaction import run_action

CATEGORY_LABELS = {
    "identity_contact": _l("Identity and contact details"),
    "incident_details": _l("Incidents and protective measures"),
    "risk_assessment": _l("Risk assessments"),
    "children": _l("Children"),
}

# The codes' labels the case page shows (fixed; the measure types are read when it is shown).
CASE_PAGE_LABELS = {
    "status_labels": CASE_STATUS_LABELS, "risk_labels": RISK_LEVEL_LABELS,
    "relationship_labels": RELATIONSHIP_LABELS, "sex_labels": SEX_LABELS,
    "category_labels": CATEGORY_LABELS, "all_categories": DATA_CATEGORIES,
    "gbv_types": incidents.GBV_TYPES, "reported_by": incidents.REPORTED_BY,
    "gbv_contexts": incidents.CONTEXTS, "offence_kinds": incidents.OFFENCE_KINDS,
    "weapons": incidents.WEAPONS, "languages": cases.LANGUAGES,
}


def render_and_commit(template: str, **context: Any) -> str:
    """Commit the audit rows of the reads and render.

    GET pages commit first: their loaded rows do not expire (referral.web.hooks), and the audit
    chain's lock is released before rendering instead of after, so concurrent case pages do not
    queue on it for the rendering time. Other requests render first, which keeps the loaded
    rows from expiring and being fetched again one by one.
    """
    if request.method in ("GET", "HEAD"):
        db.session.commit()
        return render_template(template, **context)
    html = render_template(template, **context)
    db.session.commit()
    return html


def _do(action: Callable[[], Any], form: Any) -> Any:
    """Run a service action at the boundary; on a refusal keep the form and show why (for an
    action whose result decides the page, where ``submit_form``'s redirect does not fit)."""
    try:
        return run_action(action)
    except DomainError as err:
        attach_error(form, err)
        return None


class Reloaded:
    """``submit_form``'s ``on_stale``: load what someone else saved meanwhile, to show beside
    the input, and take its version so that saving again overwrites it knowingly."""

    def __init__(self, form: Any, load: Callable[[], Any]) -> None:
        self.form, self.load = form, load
        self.current: Any = None

    def __call__(self, _err: StaleEdit) -> None:
        self.current = self.load()
        self.form.version.data = str(self.current.version)


def aware(local: datetime) -> datetime:
    """A time typed in the display time zone, as an aware datetime."""
    zone = ZoneInfo(current_app.config.get("DISPLAY_TIMEZONE", "Asia/Almaty"))
    return local.replace(tzinfo=zone) if local.tzinfo is None else local


def version_of(form: Any) -> int | None:
    """The version the form was loaded at (None when it carries none)."""
    return int(form.version.data or 0) or None


def people_choices(actor: Any, case_id: int, role: str) -> list[tuple[Any, str]]:
    rows = cases.list_participants(actor, case_id, roles=(role,))
    return [("", "—")] + [(p.id, p.person.full_name) for p in rows]


def case_url(case_id: int, anchor: str = "") -> str:
    """The case page, at one of its sections."""
    return url_for("cases.detail", case_id=case_id) + (f"#{anchor}" if anchor else "")
