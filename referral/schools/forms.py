"""Forms of school notices: a child's school, the school's safeguarding contact."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired

from referral.accounts.forms import REQUIRED
from referral.web.forms import form_int
from referral.web.widgets import SelectField


def _int_or_none(value: object) -> int | None:
    return form_int(value) if value not in (None, "", "None") else None


class ChildSchoolForm(FlaskForm):
    participant_id = HiddenField()
    school_agency_id = SelectField(_l("School"), coerce=_int_or_none, choices=[])


class ContactForm(FlaskForm):
    user_id = SelectField(_l("Designated safeguarding contact"), coerce=_int_or_none, choices=[],
                          validators=[DataRequired(REQUIRED)])
