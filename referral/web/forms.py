"""Small helpers shared by views that handle forms."""

from __future__ import annotations

from flask import flash

from referral.errors import DomainError


def attach_error(form: object, err: DomainError) -> None:
    """Show a service error beside the field it concerns, or at the top of the page."""
    field = getattr(form, err.field, None) if err.field else None
    if field is not None:
        field.errors = [*field.errors, err.message]
    else:
        flash(err.message, "error")
