"""Help pages: the emergency numbers for anyone, a guide per role for users who are logged in."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from referral.help.guides import GUIDE_TITLES, current_rules, guide_for
from referral.web.redirects import safe_next

bp = Blueprint("help", __name__)


@bp.get("/help/emergency")
def emergency() -> str:
    """Public: someone in danger needs the numbers whether or not they can log in."""
    return render_template("help/emergency.html")


@bp.get("/help")
@login_required
def index() -> str:
    """The current user's guide; after the first login it also offers the way on."""
    own = guide_for(current_user.role, current_user.agency.type)
    first = request.args.get("first") == "1"
    return _render(own, own=own, first=first,
                   onward=safe_next(request.args.get("next")) if first else None)


@bp.get("/help/<guide>")
@login_required
def guide(guide: str) -> str:
    """Any role's guide: a user may want to know what the other side does."""
    if guide not in GUIDE_TITLES:
        abort(404)
    return _render(guide, own=guide_for(current_user.role, current_user.agency.type))


def _render(guide: str, *, own: str, first: bool = False, onward: str | None = None) -> str:
    return render_template("help/guide.html", guide=guide, own=own, titles=GUIDE_TITLES,
                           rules=current_rules(), first=first, onward=onward)
