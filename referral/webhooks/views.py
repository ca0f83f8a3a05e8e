"""Webhook endpoint pages: list, add, edit, disable/enable, roll the secret, test, delivery log.

Agency managers manage their agency's endpoints, administrators the system's; anyone else, and
any endpoint out of scope, gets 404. A secret is shown once, on the page that created it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from werkzeug.wrappers import Response

from referral.access.permissions import Permission
from referral.access.scope import current_actor
from referral.errors import DomainError
from referral.web.nav import add_nav
from referral.web.transaction import run_action
from referral.webhooks import service
from referral.webhooks.catalogue import (
    ALL_EVENT_TYPES,
    ERROR_LABELS,
    types_for,
)
from referral.webhooks.forms import ButtonForm, EndpointForm
from referral.webhooks.models import WebhookEndpoint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
add_nav("webhooks.index", _l("Webhooks"), Permission.USERS_MANAGE_OWN_AGENCY, 87)
add_nav("webhooks.index", _l("Webhooks"), Permission.AGENCIES_MANAGE, 87)


def managers_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """404 for anyone who manages no endpoints (the page's existence is not confirmed)."""

    @wraps(view)
    def wrapped(*args: object, **kwargs: object) -> Any:
        if not service.can_manage(current_actor()):
            abort(404)
        return view(*args, **kwargs)

    return login_required(wrapped)


def _labels() -> dict[str, object]:
    return types_for(current_actor().role == "administrator")


def _input(form: EndpointForm) -> service.EndpointInput:
    return service.EndpointInput(form.url.data or "", form.description.data or "",
                                 list(form.event_types.data or []))


def _check_button() -> None:
    if not ButtonForm().validate_on_submit():
        abort(400)


def _attempt(action: Callable[[], Any], form: EndpointForm | None = None) -> Any:
    """Run the action; a refusal is shown (on its field when it names one), None returned.
    A form's address is resolved and checked first, outside the transaction."""
    try:
        if form is not None:
            service.check_address(form.url.data or "")
        return run_action(action)
    except DomainError as err:
        target = getattr(form, err.field, None) if form is not None and err.field else None
        if target is not None:
            target.errors = [*target.errors, err.message]
        else:
            flash(err.message, "error")
        return None


def _secret_page(endpoint: WebhookEndpoint, secret: str) -> str:
    return render_template("webhooks/secret.html", endpoint=endpoint, secret=secret)


@bp.get("")
@managers_only
def index() -> str:
    return render_template("webhooks/index.html", endpoints=service.list_endpoints(
        current_actor()), labels=ALL_EVENT_TYPES)


@bp.route("/new", methods=["GET", "POST"])
@managers_only
def new() -> str | Response:
    form = EndpointForm().offer(_labels())
    if form.validate_on_submit():
        made = _attempt(lambda: service.create_endpoint(current_actor(), _input(form)), form)
        if made is not None:
            return _secret_page(*made)
    return render_template("webhooks/form.html", form=form, endpoint=None)


@bp.route("/<int:endpoint_id>/edit", methods=["GET", "POST"])
@managers_only
def edit(endpoint_id: int) -> str | Response:
    endpoint = service.get_endpoint(current_actor(), endpoint_id)
    form = EndpointForm(obj=None if request.method == "POST" else endpoint).offer(_labels())
    if form.validate_on_submit():
        version = int(form.version.data) if (form.version.data or "").isdigit() else None
        if _attempt(lambda: service.update_endpoint(current_actor(), endpoint_id, _input(form),
                                                    expected_version=version), form):
            flash(_("Endpoint saved."), "success")
            return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id))
    return render_template("webhooks/form.html", form=form, endpoint=endpoint)


@bp.get("/<int:endpoint_id>")
@managers_only
def detail(endpoint_id: int) -> str:
    actor = current_actor()
    endpoint = service.get_endpoint(actor, endpoint_id)
    return render_template("webhooks/detail.html", endpoint=endpoint, form=ButtonForm(),
                           deliveries=service.list_deliveries(actor, endpoint_id),
                           labels=ALL_EVENT_TYPES, errors=ERROR_LABELS)


def _button(endpoint_id: int, action: Callable[[], Any], done: str) -> Response:
    _check_button()
    if _attempt(action) is not None:
        flash(done, "success")
    return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id))


@bp.post("/<int:endpoint_id>/disable")
@managers_only
def disable(endpoint_id: int) -> Response:
    service.get_endpoint(current_actor(), endpoint_id)
    return _button(endpoint_id, lambda: service.set_active(current_actor(), endpoint_id, False),
                   _("Endpoint disabled: nothing more is sent to it."))


@bp.post("/<int:endpoint_id>/enable")
@managers_only
def enable(endpoint_id: int) -> Response:
    service.get_endpoint(current_actor(), endpoint_id)
    return _button(endpoint_id, lambda: service.set_active(current_actor(), endpoint_id, True),
                   _("Endpoint enabled."))


@bp.post("/<int:endpoint_id>/test")
@managers_only
def send_test(endpoint_id: int) -> Response:
    service.get_endpoint(current_actor(), endpoint_id)
    return _button(endpoint_id, lambda: service.send_test(current_actor(), endpoint_id),
                   _("A test event will be sent within a minute."))


@bp.post("/<int:endpoint_id>/roll-secret")
@managers_only
def roll_secret(endpoint_id: int) -> str | Response:
    service.get_endpoint(current_actor(), endpoint_id)
    _check_button()
    made = _attempt(lambda: service.roll_secret(current_actor(), endpoint_id))
    if made is None:
        return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id))
    return _secret_page(*made)


@bp.post("/deliveries/<int:delivery_id>/redeliver")
@managers_only
def redeliver(delivery_id: int) -> Response:
    _check_button()
    found = _attempt(lambda: service.redeliver(current_actor(), delivery_id))
    if found is None:
        return redirect(url_for("webhooks.index"))
    flash(_("The delivery will be sent again within a minute."), "success")
    return redirect(url_for("webhooks.detail", endpoint_id=found.endpoint_id))
