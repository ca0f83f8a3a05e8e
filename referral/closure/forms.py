"""Forms of the closure checklist and its sign-off."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField
from wtforms.validators import Optional


class ChecklistForm(FlaskForm):
    version = HiddenField()
    needs_met = BooleanField(_l("The survivor's needs are met"))
    last_contact_on = DateField(_l("Date of the last contact with the survivor"),
                                validators=[Optional()])
    safety_plan_reviewed = BooleanField(_l("The safety plan was reviewed with the survivor"))
    told_can_return = BooleanField(_l("The survivor was told she can come back at any time"))


class SignOffForm(FlaskForm):
    version = HiddenField()
