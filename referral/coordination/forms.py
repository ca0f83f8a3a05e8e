"""Coordinator forms. Choices are filled by the views; every label goes through Babel."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from referral.accounts.forms import REQUIRED
from referral.coordination.local_time import display_zone
from referral.coordination.stats import numbers
from referral.web.widgets import SelectField


def int_or_none(value: object) -> int | None:
    try:
        return int(value) if value not in (None, "") else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def local_to_utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=display_zone()).astimezone(UTC) if value else None


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class FilterForm(FlaskForm):
    """The overdue review's filters: a GET form (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    region = SelectField(_l("Region"), validators=[Optional()], validate_choice=False)
    agency = SelectField(_l("Agency"), coerce=int_or_none, validators=[Optional()],
                         validate_choice=False)
    district = SelectField(_l("District"), coerce=int_or_none, validators=[Optional()],
                           validate_choice=False)
    service = SelectField(_l("Service"), validators=[Optional()], validate_choice=False)
    urgency = SelectField(_l("Urgency"), validators=[Optional()], validate_choice=False)


class PeriodForm(FlaskForm):
    class Meta:
        csrf = False

    region = SelectField(_l("Region"), validators=[Optional()], validate_choice=False)
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
    granularity = SelectField(_l("By"), choices=[(numbers.MONTH, _l("Month")),
                                                 (numbers.WEEK, _l("Week"))],
                              validators=[Optional()], validate_choice=False)
    agency = SelectField(_l("Agency"), coerce=int_or_none, validators=[Optional()],
                         validate_choice=False)


class ExportForm(FlaskForm):
    region = SelectField(_l("Region"), validators=[Optional()], validate_choice=False)
    start = DateField(_l("From"), validators=[DataRequired(REQUIRED)])
    end = DateField(_l("To"), validators=[DataRequired(REQUIRED)])
    granularity = SelectField(_l("Period"), choices=[(numbers.MONTH, _l("Month")),
                                                     (numbers.WEEK, _l("Week"))])
    fmt = SelectField(_l("Format"), choices=[("csv", "CSV"), ("xlsx", "XLSX (Excel)")])


class ReassignForm(FlaskForm):
    receiver_agency_id = SelectField(_l("New receiving agency"), coerce=int_or_none,
                                     validate_choice=False, validators=[DataRequired(REQUIRED)])
    text = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=1000)])


class ExtendForm(FlaskForm):
    deadline_at = DateTimeLocalField(_l("New deadline"), format="%Y-%m-%dT%H:%M",
                                     validators=[DataRequired(REQUIRED)])
    text = TextAreaField(_l("Reason for the extension"),
                         validators=[DataRequired(REQUIRED), Length(max=1000)])


class EscalateForm(FlaskForm):
    text = TextAreaField(_l("What the agency's manager should know"),
                         validators=[Optional(), Length(max=1000)])


class RowActionForm(FlaskForm):
    """A row action of the overdue review: the confirm button, an optional note."""

    confirm = HiddenField()
    text = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=1000)])


class ConferenceForm(FlaskForm):
    region_code = SelectField(_l("Region"), validators=[DataRequired(REQUIRED)])
    scheduled_at = DateTimeLocalField(_l("Date and time"), format="%Y-%m-%dT%H:%M",
                                      validators=[DataRequired(REQUIRED)])
    location = StringField(_l("Place (optional)"), validators=[Optional(), Length(max=200)])


class AgendaForm(FlaskForm):
    case_ids = MultiCheckboxField(_l("Proposed cases"), coerce=int, validate_choice=False)


class AttendanceForm(FlaskForm):
    agencies = MultiCheckboxField(_l("Agencies that attended"), coerce=int,
                                  validate_choice=False)


class SummaryForm(FlaskForm):
    version = HiddenField()
    summary = TextAreaField(_l("Summary of the discussion"),
                            validators=[Optional(), Length(max=4000)])


class ActionForm(FlaskForm):
    assignee = SelectField(_l("Agency and owner"), validators=[DataRequired(REQUIRED)],
                           validate_choice=False)
    description = TextAreaField(_l("Action"), validators=[DataRequired(REQUIRED),
                                                           Length(max=1000)])
    due_on = DateField(_l("Due date"), validators=[DataRequired(REQUIRED)])


class ConfirmForm(FlaskForm):
    """A bare POST button: the CSRF token is the whole form."""
