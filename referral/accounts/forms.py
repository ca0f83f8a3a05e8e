"""Account forms. Each field has a label; messages go through Babel."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    PasswordField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from referral.web.forms import REQUIRED, ConfirmForm  # noqa: F401 (other domains import them here)
from referral.web.redirects import safe_next
from referral.web.widgets import SelectField


def _site_path_or_empty(value: str | None) -> str:
    """Where to go after logging in: a path of this site, else nothing. Dropped rather than
    refused: a link that pointed elsewhere must not stop anyone logging in."""
    return (safe_next(value) or "") if value and len(value) <= NEXT_MAX else ""


NEXT_MAX = 2000  # a page address with its filters; longer is no address the app wrote


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED), Length(max=128)])
    next = HiddenField(filters=[_site_path_or_empty], validators=[Length(max=NEXT_MAX)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(REQUIRED)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(REQUIRED)])
    confirm_password = PasswordField(_l("New password again"), validators=[DataRequired(REQUIRED)])


class SetPasswordForm(FlaskForm):
    new_password = PasswordField(_l("New password"), validators=[DataRequired(REQUIRED)])
    confirm_password = PasswordField(_l("New password again"), validators=[DataRequired(REQUIRED)])


class UserForm(FlaskForm):
    version = HiddenField()
    full_name = StringField(_l("Full name"), validators=[DataRequired(REQUIRED), Length(max=200)])
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(REQUIRED), Email(_l("Enter a valid e-mail address.")),
                    Length(max=254)],
    )
    phone = StringField(_l("Work phone"), validators=[Optional(), Length(max=40)])
    agency_id = SelectField(_l("Agency"), coerce=int)
    role = SelectField(_l("Role"))
    region_codes = SelectMultipleField(_l("Regions (coordinators only)"))
    locale = SelectField(_l("Language"), choices=[("", "—"), ("en", "English"),
                                                  ("ru", "Русский"), ("kk", "Қазақша")])


class NewUserForm(UserForm):
    setup = SelectField(
        _l("How the user gets a password"),
        choices=[("invite", _l("Send an invitation link")),
                 ("password", _l("Set an initial password (changed at first login)"))],
    )
    initial_password = PasswordField(_l("Initial password"), validators=[Optional()])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(REQUIRED), Length(max=254)])
