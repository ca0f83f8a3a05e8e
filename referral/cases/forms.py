"""Forms of the cases domain. Choices are filled by the views; services validate the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from referral.accounts.forms import REQUIRED
from referral.cases.risk import ANSWERS, RISK_FACTORS
from referral.web.widgets import SelectField


def _int_or_none(value: object) -> int | None:
    try:
        return int(value) if value not in (None, "", "None") else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


DATE_MESSAGE = _l("Enter the date as day, month and year, e.g. 2026-03-01.")
DATETIME_MESSAGE = _l("Enter the date and time, e.g. 2026-03-01 21:30.")


class CaseForm(FlaskForm):
    version = HiddenField()
    creation_token = HiddenField(validators=[Length(max=36)])  # cases.creation_token
    region_code = SelectField(_l("Region"), validators=[DataRequired(REQUIRED)])
    district_id = SelectField(_l("District"), coerce=_int_or_none, validate_choice=False)
    address = TextAreaField(_l("Address of the household (sensitive: shown only to those who "
                               "need it)"), validators=[Optional(), Length(max=500)])
    languages = SelectMultipleField(_l("Languages spoken"), validate_choice=False)


class StatusForm(FlaskForm):
    version = HiddenField()
    status = SelectField(_l("New status"))
    reason = SelectField(_l("Reason for closing"), validate_choice=False)


class RestrictionForm(FlaskForm):
    version = HiddenField()
    restricted = BooleanField(_l("Restricted: only the people named below may see this case"))
    members = SelectMultipleField(_l("People who may see the case"), coerce=int,
                                  validate_choice=False)


class SearchForm(FlaskForm):
    term = StringField(_l("Case reference, name or IIN"),
                       validators=[DataRequired(REQUIRED), Length(min=2, max=120)])


class PersonForm(FlaskForm):
    version = HiddenField()
    role = SelectField(_l("Role in the case"))
    surname = StringField(_l("Surname"), validators=[DataRequired(REQUIRED), Length(max=120)])
    given_name = StringField(_l("Given name"),
                             validators=[DataRequired(REQUIRED), Length(max=120)])
    patronymic = StringField(_l("Patronymic"), validators=[Optional(), Length(max=120)])
    sex = SelectField(_l("Sex"), choices=[("", "—")], validate_choice=False)
    birth_date = DateField(_l("Date of birth"), validators=[Optional()],
                           render_kw={"autocomplete": "off"})
    approx_age = IntegerField(_l("Approximate age (if the date of birth is not known)"),
                              validators=[Optional(), NumberRange(0, 120)])
    iin = StringField(_l("IIN (12 digits, optional)"), validators=[Optional(), Length(max=12)],
                      render_kw={"inputmode": "numeric", "autocomplete": "off"})
    relationship_to_offender = SelectField(_l("Relationship to the alleged offender"),
                                           validate_choice=False)
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    has_disability = BooleanField(_l("Has a disability"))
    disability_note = StringField(_l("Disability: what support is needed"),
                                  validators=[Optional(), Length(max=300)])
    is_pregnant = BooleanField(_l("Pregnant"))
    note = TextAreaField(_l("Other information"), validators=[Optional(), Length(max=2000)])
    # Duplicate check: the user's choice after matches were shown.
    existing_person_id = HiddenField()
    confirmed_new = HiddenField()


class AccessRequestForm(FlaskForm):
    agency_id = HiddenField(validators=[DataRequired()])
    surname = HiddenField(validators=[Length(max=120)])  # as typed in the person form
    given_name = HiddenField(validators=[Length(max=120)])
    birth_date = HiddenField()
    iin = HiddenField(validators=[Length(max=12)])
    reason = TextAreaField(_l("Why your agency needs access"),
                           validators=[DataRequired(REQUIRED), Length(max=1000)])


class DecideAccessForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[("grant", _l("Grant access")),
                                                    ("refuse", _l("Refuse"))],
                          validators=[InputRequired(REQUIRED)])
    categories = SelectMultipleField(_l("Information to share"), validate_choice=False)
    note = TextAreaField(_l("Note to the requesting agency"),
                         validators=[Optional(), Length(max=1000)])


class SafeContactForm(FlaskForm):
    version = HiddenField()
    do_not_contact = BooleanField(_l("Do not contact the survivor directly"))
    safe_phone = StringField(_l("Safe phone number"), validators=[Optional(), Length(max=40)])
    safe_times = StringField(_l("Safe times to call"), validators=[Optional(), Length(max=200)])
    code_word = StringField(_l("Code word"), validators=[Optional(), Length(max=80)])
    instructions = TextAreaField(_l("Other instructions"),
                                 validators=[Optional(), Length(max=1000)])


class IncidentForm(FlaskForm):
    occurred_at = DateTimeLocalField(_l("When it happened (local time)"),
                                     format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                     validators=[InputRequired(DATETIME_MESSAGE)])
    place = StringField(_l("Where"), validators=[Optional(), Length(max=300)])
    reported_by = SelectField(_l("Who reported it"))
    survivor_participant_id = SelectField(_l("Survivor"), coerce=_int_or_none,
                                          validate_choice=False)
    offender_participant_id = SelectField(_l("Alleged offender"), coerce=_int_or_none,
                                          validate_choice=False)
    physical = BooleanField(_l("Physical violence"))
    sexual = BooleanField(_l("Sexual violence"))
    psychological = BooleanField(_l("Psychological violence"))
    economic = BooleanField(_l("Economic violence"))
    penetration = BooleanField(_l("Penetration of any kind without consent (counted as rape)"))
    forced_marriage = BooleanField(_l("Forced or early marriage"))
    non_gbv = BooleanField(_l("None of these: not gender-based violence"))
    context_intimate_partner = BooleanField(_l("Intimate-partner violence"))
    context_child_sexual_abuse = BooleanField(_l("Child sexual abuse"))
    context_early_marriage = BooleanField(_l("Early marriage (under 18)"))
    context_harmful_practice = BooleanField(
        _l("Harmful traditional practice (e.g. bride kidnapping)"))
    # The classification the page showed (type, context, offence), so that saving records
    # only what the person has seen: a change since then shows the new result first.
    shown = HiddenField(validators=[Length(max=300)])  # over the 64 of a hidden field's default
    female_investigator_requested = BooleanField(
        _l("The survivor asks for a female investigator (sexual violence)"))
    # "id" or "id:part" (an article whose parts differ in kind), parsed by the view.
    offence_id = SelectField(_l("Legal qualification"), validate_choice=False)
    injuries = TextAreaField(_l("Injuries"), validators=[Optional(), Length(max=2000)])
    weapon = SelectField(_l("Weapon"))
    children_present = BooleanField(_l("Children were present"))
    children_witnessed = BooleanField(_l("Children saw or heard it"))
    police_record_number = StringField(_l("Police record number"),
                                       validators=[Optional(), Length(max=60)])
    description = TextAreaField(_l("What happened"), validators=[Optional(), Length(max=5000)])


class MeasureForm(FlaskForm):
    measure_type = SelectField(_l("Measure"))
    starts_on = DateField(_l("Start date"), validators=[InputRequired(DATE_MESSAGE)])
    ends_on = DateField(_l("End date (leave empty for the standard duration)"),
                        validators=[Optional()])
    against_participant_id = SelectField(_l("Against"), coerce=_int_or_none,
                                         validate_choice=False)
    issuing_body = StringField(_l("Issued by (court or unit)"),
                               validators=[Optional(), Length(max=200)])
    document_number = StringField(_l("Document number"), validators=[Optional(), Length(max=60)])
    conditions = TextAreaField(_l("Conditions"), validators=[Optional(), Length(max=2000)])


class BreachForm(FlaskForm):
    occurred_at = DateTimeLocalField(_l("When the breach happened (local time)"),
                                     format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                     validators=[InputRequired(DATETIME_MESSAGE)])
    description = TextAreaField(_l("What happened"),
                                validators=[DataRequired(REQUIRED), Length(max=2000)])


class RevokeForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField(_l("Why the measure ends early"),
                           validators=[DataRequired(REQUIRED), Length(max=1000)])


class NoteForm(FlaskForm):
    version = HiddenField()
    body = TextAreaField(_l("Note"), validators=[DataRequired(REQUIRED), Length(max=20_000)])


class OffenceForm(FlaskForm):
    code = SelectField(_l("Code"), choices=[("criminal", _l("Criminal Code")),
                                            ("administrative", _l("Code of Administrative "
                                                                  "Offences"))])
    article = StringField(_l("Article"), validators=[DataRequired(REQUIRED), Length(max=16)])
    kind = SelectField(_l("Kind"), choices=[("crime", _l("Crime")),
                                            ("criminal_misdemeanour", _l("Criminal misdemeanour")),
                                            ("administrative", _l("Administrative offence"))])
    title_en = StringField(_l("Title (English)"),
                           validators=[DataRequired(REQUIRED), Length(max=300)])
    title_ru = StringField(_l("Title (Russian)"), validators=[Optional(), Length(max=300)])
    title_kk = StringField(_l("Title (Kazakh)"), validators=[Optional(), Length(max=300)])
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_until = DateField(_l("Valid until"), validators=[Optional()])
    source = StringField(_l("Source (address of the official text)"),
                         validators=[DataRequired(REQUIRED), Length(max=300)])


def risk_form_class() -> type[FlaskForm]:
    """A form with one answer and one comment per risk factor."""

    class RiskForm(FlaskForm):
        survivor_participant_id = SelectField(_l("Survivor assessed"), coerce=_int_or_none,
                                              validate_choice=False)
        override_level = SelectField(_l("Professional judgement: raise the level to"),
                                     validate_choice=False)
        override_reason = TextAreaField(_l("Reason for raising the level"),
                                        validators=[Optional(), Length(max=2000)])

    choices = [(k, v) for k, v in ANSWERS.items()]
    for code, question in RISK_FACTORS:
        setattr(RiskForm, f"q_{code}", RadioField(question, choices=choices,
                                                  validators=[InputRequired(
                                                      _l("Choose yes, no or not known."))]))
        setattr(RiskForm, f"c_{code}", StringField(_l("Comment"),
                                                   validators=[Optional(), Length(max=500)]))
    return RiskForm


RiskForm = risk_form_class()


class EmergencyAccessForm(FlaskForm):
    term = HiddenField(validators=[DataRequired(REQUIRED), Length(max=120)])
    reason = TextAreaField(_l("Why do you need this case now?"),
                           validators=[DataRequired(REQUIRED), Length(max=1000)])
    password = PasswordField(_l("Your password, to confirm it is you"),
                             validators=[DataRequired(REQUIRED), Length(max=128)])


class ReviewedForm(FlaskForm):
    pass
