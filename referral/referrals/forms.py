"""Referral forms. Choices come from the code tables; every label goes through Babel."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    RadioField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from referral.accounts.forms import REQUIRED
from referral.agencies.catalogue import SERVICES
from referral.referrals import codes
from referral.web.widgets import SelectField


def _choices(table: dict, blank: bool = True) -> list[tuple[str, str]]:
    items = [(code, str(label)) for code, label in table.items()]
    return [("", "—"), *items] if blank else items


def _int_or_none(value: object) -> int | None:
    try:
        return int(value) if value not in (None, "") else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("DISPLAY_TIMEZONE", "Asia/Almaty"))


def end_of_local_day(value: date | None) -> datetime | None:
    """A date typed by a user means the end of that day in local time, stored in UTC."""
    if value is None:
        return None
    return datetime.combine(value, time(23, 59), tzinfo=local_zone()).astimezone(UTC)


def local_to_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=local_zone()).astimezone(UTC)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


TEXT = [Optional(), Length(max=2000)]


class SendReferralForm(FlaskForm):
    token = HiddenField()
    service_code = SelectField(_l("Service"), validators=[DataRequired(REQUIRED)])
    receiver_agency_id = SelectField(_l("Agency"), coerce=_int_or_none, validate_choice=False,
                                     validators=[DataRequired(REQUIRED)])
    urgency = SelectField(_l("Urgency"), validate_choice=False)
    subject_participant_id = SelectField(_l("Who the referral is for"), coerce=_int_or_none,
                                         validate_choice=False, validators=[Optional()])
    reason = TextAreaField(_l("Reason for the referral"),
                           validators=[DataRequired(REQUIRED), Length(max=1000)])
    need_to_know = TextAreaField(_l("What the receiving agency needs to know"), validators=TEXT)
    consented = RadioField(_l("Did the survivor consent to sharing information?"),
                           choices=[("yes", _l("Yes")), ("no", _l("No"))],
                           validators=[DataRequired(REQUIRED)])
    categories = MultiCheckboxField(_l("What may be shared"))
    consent_until = DateField(_l("Consent valid until (optional)"), validators=[Optional()])
    legal_ground = SelectField(_l("Legal ground for sending without consent"),
                               validate_choice=False)
    legal_ground_text = TextAreaField(_l("Explain the legal ground"), validators=TEXT)

    def fill(self) -> None:
        self.service_code.choices = _choices(SERVICES)
        self.urgency.choices = _choices(codes.URGENCIES, blank=False)
        self.categories.choices = _choices(codes.CATEGORY_LABELS, blank=False)
        self.legal_ground.choices = _choices(codes.LEGAL_GROUNDS)


class AcceptForm(FlaskForm):
    assignee_user_id = SelectField(_l("Staff member responsible"), coerce=_int_or_none,
                                   validate_choice=False)
    overflow_reason = TextAreaField(_l("Overflow reason (only if no place is free)"),
                                    validators=TEXT)
    text = TextAreaField(_l("Note (optional)"), validators=TEXT)


class ReasonForm(FlaskForm):
    reason_code = SelectField(_l("Reason"), validators=[DataRequired(REQUIRED)])
    text = TextAreaField(_l("Explanation"), validators=TEXT)


class HoldForm(ReasonForm):
    review_at = DateField(_l("Review date"), validators=[DataRequired(REQUIRED)])


class CompleteForm(FlaskForm):
    outcome = SelectField(_l("Outcome"), validators=[DataRequired(REQUIRED)])
    text = TextAreaField(_l("What was done"), validators=TEXT)


class NoteForm(FlaskForm):
    text = TextAreaField(_l("Note (optional)"), validators=TEXT)


class ProgressNoteForm(FlaskForm):
    """A progress note on a live referral (referrals/progress.py); optionally correcting one."""

    text = TextAreaField(_l("Progress note"),
                         validators=[DataRequired(REQUIRED), Length(max=2000)])
    corrects_id = SelectField(_l("Corrects an earlier note (optional)"), coerce=_int_or_none,
                              validate_choice=False, validators=[Optional()])


class EnteredInErrorForm(FlaskForm):
    """Sent by mistake: the reason is required (the referral then counts in no figure)."""

    text = TextAreaField(_l("What was the mistake?"),
                         validators=[DataRequired(REQUIRED), Length(max=2000)])


class ConsentForm(FlaskForm):
    """Consent recorded after sending (for an agency the referral was reassigned to)."""

    categories = MultiCheckboxField(_l("What may be shared"))
    consent_until = DateField(_l("Consent valid until (optional)"), validators=[Optional()])


class ReassignForm(FlaskForm):
    receiver_agency_id = SelectField(_l("New agency"), coerce=_int_or_none, validate_choice=False,
                                     validators=[DataRequired(REQUIRED)])
    text = TextAreaField(_l("Reason"), validators=TEXT)


class ExtendForm(FlaskForm):
    deadline_at = DateTimeLocalField(_l("New deadline (local time)"), format="%Y-%m-%dT%H:%M",
                                     validators=[DataRequired(REQUIRED)])
    text = TextAreaField(_l("Reason"), validators=[DataRequired(REQUIRED), Length(max=2000)])


class ProgrammeForm(FlaskForm):
    kind = SelectField(_l("Record"), validators=[DataRequired(REQUIRED)])
    text = TextAreaField(_l("Note (optional)"), validators=TEXT)


def action_forms() -> dict[str, FlaskForm]:
    """One form per action, with choices filled, keyed as the detail template expects."""
    decline, cancel, fail, hold = ReasonForm(prefix="decline"), ReasonForm(prefix="cancel"), \
        ReasonForm(prefix="fail"), HoldForm(prefix="hold")
    decline.reason_code.choices = _choices(codes.DECLINE_REASONS)
    cancel.reason_code.choices = _choices(codes.CANCEL_REASONS)
    fail.reason_code.choices = _choices(codes.FAIL_REASONS)
    hold.reason_code.choices = _choices(codes.HOLD_REASONS)
    complete = CompleteForm(prefix="complete")
    complete.outcome.choices = _choices(codes.OUTCOMES)
    programme = ProgrammeForm(prefix="programme")
    consent = ConsentForm(prefix="record-consent")
    consent.categories.choices = _choices(codes.CATEGORY_LABELS, blank=False)
    programme.kind.choices = _choices(codes.PROGRAMME_EVENTS)
    return {
        "accept": AcceptForm(prefix="accept"), "decline": decline, "cancel": cancel,
        "fail": fail, "hold": hold, "complete": complete, "programme": programme,
        "start": NoteForm(prefix="start"), "escalate": NoteForm(prefix="escalate"),
        "withdraw_consent": NoteForm(prefix="consent"), "record_consent": consent,
        "reassign": ReassignForm(prefix="reassign"), "extend": ExtendForm(prefix="extend"),
        "enter_in_error": EnteredInErrorForm(prefix="error"),
        "progress": ProgressNoteForm(prefix="progress"),
    }
