"""Notification forms: preferences, and bare CSRF-checked buttons."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField


class ButtonForm(FlaskForm):
    """A POST button: only the CSRF token."""


class PreferencesForm(FlaskForm):
    email = BooleanField(_l("Also send my notifications by e-mail"))
