"""Forms of the second-factor pages. Each field has a label; messages go through Babel."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from referral.web.forms import REQUIRED

# A browser's WebAuthn answer (JSON, base64url parts); an attestation with a certificate chain
# runs to a few kilobytes.
CREDENTIAL_MAX = 20_000
_CODE_KW = {"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}


class FactorCodeForm(FlaskForm):
    """The login step: a code from the app, or a recovery code."""

    one_time_code = StringField(_l("One-time code"),
                                validators=[DataRequired(REQUIRED), Length(max=40)],
                                render_kw=_CODE_KW)


class ConfirmTotpForm(FlaskForm):
    one_time_code = StringField(_l("Code from the app"),
                                validators=[DataRequired(REQUIRED), Length(max=12)],
                                render_kw={**_CODE_KW, "inputmode": "numeric"})


class PasskeyRegisterForm(FlaskForm):
    name = StringField(_l("Name of this passkey"), validators=[Length(max=60)])
    credential = HiddenField(validators=[DataRequired(REQUIRED), Length(max=CREDENTIAL_MAX)])


class PasskeyLoginForm(FlaskForm):
    credential = HiddenField(validators=[DataRequired(REQUIRED), Length(max=CREDENTIAL_MAX)])


class PasswordCheckForm(FlaskForm):
    """Re-entering the password before a factor is removed or new recovery codes are made."""

    password = PasswordField(_l("Current password"), validators=[DataRequired(REQUIRED),
                                                                 Length(max=128)])
