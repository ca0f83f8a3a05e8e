"""Agency and district forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from referral.web.forms import REQUIRED
from referral.web.widgets import SelectField


class AgencyForm(FlaskForm):
    version = HiddenField()
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=200)])
    type = SelectField(_l("Type"))
    region_code = SelectField(_l("Region"))
    district_id = SelectField(_l("District"), coerce=lambda v: int(v) if v else None)
    email = EmailField(_l("Contact e-mail"), validators=[
        Optional(), Email(_l("Enter a valid e-mail address.")), Length(max=254)])
    phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=40)])
    address = StringField(_l("Address (shown only to staff who need it)"),
                          validators=[Optional(), Length(max=300)])
    is_24_7 = BooleanField(_l("Open 24/7"))
    working_hours = StringField(_l("Working hours"), validators=[Optional(), Length(max=120)])
    languages = StringField(_l("Languages (codes, comma separated)"),
                            validators=[Optional(), Length(max=60)])
    wheelchair_accessible = BooleanField(_l("Wheelchair accessible"))
    shelter_places = IntegerField(_l("Shelter places"), default=0, validators=[
        Optional(), NumberRange(min=0, message=_l("Shelter places cannot be negative."))])
    children_admitted = BooleanField(_l("Children admitted"))
    services = SelectMultipleField(_l("Services offered"))


class DistrictForm(FlaskForm):
    region_code = SelectField(_l("Region"))
    name_en = StringField(
        _l("Name (English)"), validators=[DataRequired(REQUIRED), Length(max=120)]
    )
    name_ru = StringField(_l("Name (Russian)"), validators=[Optional(), Length(max=120)])
    name_kk = StringField(_l("Name (Kazakh)"), validators=[Optional(), Length(max=120)])
    is_remote = BooleanField(_l("Rural or remote district"))
