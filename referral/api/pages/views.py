"""The token pages: the list, the create form (the secret is shown once, on the answer to the
POST, never redirected to or stored), and revocation (a confirmed POST)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from werkzeug.wrappers import Response

from referral.access.permissions import Permission
from referral.access.scope import Actor, current_actor
from referral.api import token_service
from referral.api.pages.blueprint import pages_bp as bp
from referral.api.pages.forms import TokenForm
from referral.api.tokens import Minted
from referral.errors import DomainError
from referral.models_base import utcnow
from referral.web.forms import ConfirmForm, attach_error
from referral.web.nav import add_nav
from referral.web.transaction import run_action

add_nav("api_tokens.index", _l("API tokens"), Permission.USERS_MANAGE_OWN_AGENCY, 82)
add_nav("api_tokens.index", _l("API tokens"), Permission.USERS_MANAGE_ALL, 82)


def managers_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Agency managers and administrators; 404 for everyone else, as pages answer."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not token_service.may_manage_tokens(current_actor()):
            abort(404)
        return view(*args, **kwargs)

    return login_required(wrapped)


@bp.get("/")
@managers_only
def index() -> str:
    actor = current_actor()
    return render_template("api_tokens/index.html", tokens=token_service.list_tokens(actor),
                           all_agencies=token_service.is_admin(actor), now=utcnow())


@bp.route("/new", methods=["GET", "POST"])
@managers_only
def new() -> str | Response:
    actor = current_actor()
    form = TokenForm().fill(actor)
    if form.validate_on_submit():
        try:
            minted = run_action(lambda: token_service.create_token(actor, form.request()))
        except DomainError as err:
            attach_error(form, err)
        else:
            return _shown_once(actor, minted)
    return render_template("api_tokens/new.html", form=form,
                           max_days=token_service.max_days())


def _shown_once(actor: Actor, minted: Minted) -> Response:
    """The answer to the POST shows the secret; no cache, no redirect, no log keeps it."""
    page = render_template("api_tokens/created.html", token=minted.token, secret=minted.secret)
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:token_id>/revoke", methods=["GET", "POST"])
@managers_only
def revoke(token_id: int) -> str | Response:
    actor = current_actor()
    token = token_service.get_token_for(actor, token_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        run_action(lambda: token_service.revoke_token(actor, token_id))
        flash(_("The token is revoked: calls with it are refused from now on."), "success")
        return redirect(url_for("api_tokens.index"))
    return render_template("api_tokens/revoke.html", token=token, form=form)
