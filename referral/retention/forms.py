"""Forms of the legal holds (the reason is required, and kept with the hold)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from referral.accounts.forms import REQUIRED
from referral.retention.service import MAX_REASON


class PlaceHoldForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the legal hold"),
                           validators=[DataRequired(REQUIRED), Length(max=MAX_REASON)])


class ReleaseHoldForm(FlaskForm):
    release_reason = TextAreaField(_l("Reason for releasing the hold"),
                                   validators=[DataRequired(REQUIRED), Length(max=MAX_REASON)])
