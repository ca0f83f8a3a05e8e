"""The coordination Blueprint, shared by its view modules, and the figures pages' cell formats."""

from flask import Blueprint

bp = Blueprint("coordination", __name__, url_prefix="/coordination")


# Filters, not Jinja macros: agency performance shows four of these per agency (some 400 cells),
# and a macro call cost more than the rest of the cell (docs/performance.md, fix 60).
@bp.app_template_filter("share_pct")
def share_pct(value: float | None) -> str:
    """A share as a whole percentage, "—" when there is none (no referral to divide by)."""
    return "—" if value is None else f"{value * 100:.0f}%"


@bp.app_template_filter("hours_1")
def hours_1(value: float | None) -> str:
    """Hours to one decimal, "—" when there is none (nothing accepted)."""
    return "—" if value is None else f"{value:.1f}"
