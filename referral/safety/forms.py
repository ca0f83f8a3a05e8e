"""The safety plan form (Primero GBV's sections) and the printout's language choice."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

PARTNER_CHOICES = [("unknown", _l("Not known")), ("yes", _l("Yes")), ("no", _l("No"))]
LANGUAGE_CHOICES = [("ru", "Русский"), ("kk", "Қазақша"), ("en", "English")]


def _text(label: object, hint: object | None = None) -> TextAreaField:
    return TextAreaField(label, description=hint or "", validators=[Optional(),
                                                                     Length(max=3000)])


class PlanForm(FlaskForm):
    based_on = HiddenField()
    main_concern = _text(_l("Main concern, in the survivor's own words"))
    resources = _text(_l("Resources: people, places and services the survivor can turn to"))
    code_signal = StringField(_l("Code signal agreed with people who can help"),
                              validators=[Optional(), Length(max=300)])
    go_bag = _text(_l("Go-bag: documents, money, keys, medicine, phone charger"))
    preparedness = _text(_l("Other preparations"))
    during_violence = _text(_l("What to do when violence happens"))
    after_leaving = _text(_l("Steps after leaving"))
    text_allowed = BooleanField(_l("Text messages allowed"))
    voicemail_allowed = BooleanField(_l("Voicemail allowed"))
    partner_knows = SelectField(_l("Does the partner know of this contact?"),
                                choices=PARTNER_CHOICES)


class PrintForm(FlaskForm):
    class Meta:
        csrf = False

    lang = SelectField(_l("Language of the printout"), choices=LANGUAGE_CHOICES)
