"""The coordination Blueprint and what every page shares: menu entries, the figures' cell formats.

Route modules import ``bp`` from here, never from the package, so no module imports the package
that imports it."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from referral.access.permissions import Permission
from referral.coordination import notify  # noqa: F401 - registers the notification kinds
from referral.web.nav import add_nav

bp = Blueprint("coordination", __name__, url_prefix="/coordination")

add_nav("coordination.review", _l("Overdue review"), Permission.REFERRAL_COORDINATE, 10)
add_nav("coordination.conferences", _l("Case conferences"), Permission.REFERRAL_COORDINATE, 30)
add_nav("coordination.performance", _l("Agency performance"), Permission.REFERRAL_COORDINATE,
        31)
add_nav("coordination.coverage", _l("Coverage"), Permission.REFERRAL_COORDINATE, 32)
add_nav("coordination.statistics", _l("Statistics"), Permission.REFERRAL_COORDINATE, 33)
add_nav("coordination.actions", _l("Conference actions"), Permission.REFERRAL_RESPOND, 30)


# Filters, not Jinja macros: agency performance shows four of these per agency (some 400 cells),
# and a macro call costs more than the rest of the cell.
@bp.app_template_filter("share_pct")
def share_pct(value: float | None) -> str:
    """A share as a whole percentage, "—" when there is none (no referral to divide by)."""
    return "—" if value is None else f"{value * 100:.0f}%"


@bp.app_template_filter("hours_1")
def hours_1(value: float | None) -> str:
    """Hours to one decimal, "—" when there is none (nothing accepted)."""
    return "—" if value is None else f"{value:.1f}"
