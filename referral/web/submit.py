"""The one shape of a form view: validate, run the service in one transaction, then redirect on
success or show the page again with the error beside its field and everything typed kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash, redirect
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from referral.errors import DomainError, StaleEdit
from referral.web.forms import attach_error
from referral.web.transaction import run_action

T = TypeVar("T")


def submit_form(
    form: FlaskForm,
    action: Callable[[], T],
    *,
    done: str | Callable[[T], str],
    message: str | None = None,
    on_stale: Callable[[StaleEdit], None] | None = None,
) -> Response | None:
    """Handle a submitted ``form``: run ``action`` and commit, flash ``message``, redirect to
    ``done`` (a URL, or a function of the action's result giving one).

    Returns None when the page must be rendered again: a GET, invalid input, or an action the
    service refused (``DomainError``, attached to the form) or found edited meanwhile
    (``StaleEdit``: ``on_stale`` may then load the current version to show beside the input).
    """
    if not form.validate_on_submit():
        return None
    try:
        result = run_action(action)
    except StaleEdit as err:
        attach_error(form, err)
        if on_stale is not None:
            on_stale(err)
        return None
    except DomainError as err:
        attach_error(form, err)
        return None
    if message:
        flash(message, "success")
    return redirect(done(result) if callable(done) else done)


class StaleShown:
    """``on_stale`` for an edit form with a ``version`` field: the current record is loaded to
    show beside what was typed (``current``), and the form takes its version, so the next save
    applies the input over the version now shown."""

    def __init__(self, form: FlaskForm, load: Callable[[], Any]) -> None:
        self.form = form
        self.load = load
        self.current: Any = None

    def __call__(self, _err: StaleEdit) -> None:
        self.current = self.load()
        self.form.version.data = str(self.current.version)


def run_or_flash(action: Callable[[], Any], *, message: str | None = None) -> bool:
    """For a button with no fields: run ``action`` and commit; a refusal is flashed as an error.
    Returns whether the action was done."""
    try:
        run_action(action)
    except DomainError as err:
        flash(err.message, "error")
        return False
    if message:
        flash(message, "success")
    return True
