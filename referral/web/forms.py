"""Small helpers shared by views that handle forms, and the rules every form field obeys.

The rules are installed once on ``FlaskForm.Meta.bind_field``, WTForms' hook for how
a form binds its fields, so every form of every domain gets them without naming a base class,
including forms added later:
- no control characters: none in a single-line field; in a multi-line one only tab and line
  breaks (a browser sends a textarea's line breaks as CRLF, so CR counts only before LF);
- a length limit on every text field, stated by the ``maxlength`` attribute WTForms renders from
  the ``Length`` validator: the field's own, or a default per kind no larger than the columns such
  fields are written to (``tests/foundation/test_hostile_input.py`` checks the columns);
- integers (``IntegerField``, ``coerce``d choices, hidden ``version`` and ``…_id`` fields) that
  fit the database's integer columns, and dates between 1900 and 2199.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from babel import support
from flask import flash, has_request_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeField,
    Field,
    HiddenField,
    IntegerField,
    PasswordField,
    StringField,
    TextAreaField,
)
from wtforms.csrf.core import CSRFTokenField
from wtforms.fields.choices import SelectFieldBase
from wtforms.i18n import messages_path
from wtforms.validators import Length, ValidationError

from referral.errors import DomainError
from referral.web.input import (
    DB_INT_MAX,
    DB_INT_MIN,
    EARLIEST_DATE,
    LATEST_DATE,
    db_int,
    usable_date,
)

# The message of every required field, in every domain's forms.
REQUIRED = _l("This field is required.")


class ConfirmForm(FlaskForm):
    """An empty form: a CSRF-protected POST button."""


# Default limits for text fields that state none. Single-line fields mostly hold names, places
# and numbers (String(200) at most where no Length is given); hidden fields carry versions, ids and
# tokens (the longest, a referral's idempotency key, is String(64)); passwords as at login;
# multi-line fields go to Text columns.
SINGLE_LINE_MAX = 200
HIDDEN_MAX = 64
PASSWORD_MAX = 128
MULTI_LINE_MAX = 5000

_SINGLE_LINE_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MULTI_LINE_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")

SINGLE_LINE_MESSAGE = _l("Use one line of text, without tabs, line breaks or invisible control "
                         "characters.")
MULTI_LINE_MESSAGE = _l("The text contains invisible control characters that cannot be stored. "
                        "Remove them, or type the text again if it was pasted.")
TOO_LONG_MESSAGE = _l("Use at most %(max)d characters.")
NUMBER_RANGE_MESSAGE = _l("This number is too large.")
DATE_RANGE_MESSAGE = _l("Enter a date between the years %(first)d and %(last)d.")
ALTERED_MESSAGE = _l("This form was changed outside the page. Reload the page and try again.")


def attach_error(form: object, err: DomainError) -> None:
    """Show a service error beside the field it concerns, or at the top of the page."""
    field = getattr(form, err.field, None) if err.field else None
    if field is not None:
        field.errors = [*field.errors, err.message]
    else:
        flash(err.message, "error")


def form_int(value: Any) -> int | None:
    """A number sent in a form or hidden field (a version, an id), or None if it is not one the
    database can hold: such values come back from the browser and may have been altered."""
    try:
        return db_int(value)
    except (TypeError, ValueError):
        return None


class NoControlCharacters:
    """Refuse what a person cannot have meant to type: NUL, escapes, lone carriage returns."""

    def __init__(self, multi_line: bool) -> None:
        self.pattern = _MULTI_LINE_FORBIDDEN if multi_line else _SINGLE_LINE_FORBIDDEN
        self.message = MULTI_LINE_MESSAGE if multi_line else SINGLE_LINE_MESSAGE

    def __call__(self, form: Any, field: Field) -> None:
        # Any text the form hands on, a choice's value too, before it reaches a query (PostgreSQL
        # refuses a NUL in any text parameter). The data after the field's filters: a filter
        # may drop what it does not want (the login form's ``next``).
        data = field.data
        values = data if isinstance(data, list | tuple) else (data,)
        for value in values:
            if isinstance(value, str) and self.pattern.search(value):
                raise ValidationError(str(self.message))


class TextLength(Length):
    """``Length`` as the browser's ``maxlength`` counts a textarea: one character per line
    break, though the form sends each as CRLF (else text the page accepted would be refused)."""

    def __call__(self, form: Any, field: Field) -> None:
        data = field.data
        if not (isinstance(data, str) and "\r\n" in data):
            return super().__call__(form, field)
        field.data = data.replace("\r\n", "\n")
        try:
            return super().__call__(form, field)
        finally:
            field.data = data


def _fits_database(form: Any, field: Field) -> None:
    if isinstance(field.data, int) and not DB_INT_MIN <= field.data <= DB_INT_MAX:
        raise ValidationError(str(NUMBER_RANGE_MESSAGE))


def _whole_number(form: Any, field: Field) -> None:
    """A hidden version or id: the page wrote a number; anything else was altered on the way."""
    if field.data not in (None, "") and form_int(field.data) is None:
        raise ValidationError(str(ALTERED_MESSAGE))


def _dates_in_range(field: Field) -> None:
    """Refuse a date outside 1900-2199 while the form reads it, as an unreadable date is refused:
    filter forms of GET pages use their data without validating (the field is then empty)."""
    parse = field.process_formdata

    def process_formdata(valuelist: list[Any]) -> None:
        parse(valuelist)
        if field.data is not None and usable_date(field.data) is None:
            field.data = None
            raise ValueError(str(DATE_RANGE_MESSAGE % {"first": EARLIEST_DATE.year,
                                                       "last": LATEST_DATE.year}))

    field.process_formdata = process_formdata  # type: ignore[method-assign]


def _bounded(coerce: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A choice field's ``coerce`` that refuses integers outside the database's range, so an
    altered option value is "not a valid choice" instead of an overflow in the query."""
    if coerce is str or getattr(coerce, "bounded", False):
        return coerce

    def bounded(value: Any) -> Any:
        result = coerce(value)
        if (isinstance(result, int) and not isinstance(result, bool)
                and not DB_INT_MIN <= result <= DB_INT_MAX):
            raise ValueError("integer out of range")
        return result

    bounded.bounded = True  # type: ignore[attr-defined]
    return bounded


def default_max_length(field: Field) -> int:
    if isinstance(field, TextAreaField):
        return MULTI_LINE_MAX
    if isinstance(field, HiddenField):
        return HIDDEN_MAX
    if isinstance(field, PasswordField):
        return PASSWORD_MAX
    return SINGLE_LINE_MAX


def guard_field(field: Field) -> None:
    """Add the input rules to one bound field (a new validator list: the unbound field's list is
    shared by every instance of the form)."""
    if isinstance(field, CSRFTokenField):
        return  # its value is the signed token, checked by its own validator
    validators = list(field.validators)
    multi_line = isinstance(field, TextAreaField)
    if isinstance(field, StringField):
        limits = [v for v in validators if isinstance(v, Length) and v.max != -1]
        if multi_line:
            validators = [TextLength(v.min, v.max, v.message)
                          if isinstance(v, Length) and not isinstance(v, TextLength) else v
                          for v in validators]
        if not limits:
            limit = default_max_length(field)
            rule = TextLength if multi_line else Length
            validators.append(rule(max=limit, message=TOO_LONG_MESSAGE))
            field.flags.maxlength = limit
    if isinstance(field, HiddenField) and (field.short_name == "version"
                                           or field.short_name.endswith("_id")):
        validators.append(_whole_number)
    if isinstance(field, IntegerField):
        validators.append(_fits_database)
    if isinstance(field, DateField | DateTimeField):
        _dates_in_range(field)
    if isinstance(field, SelectFieldBase) and hasattr(field, "coerce"):
        field.coerce = _bounded(field.coerce)
    validators.append(NoControlCharacters(multi_line))
    field.validators = validators


def _bind_field(self: Any, form: Any, unbound_field: Any, options: dict[str, Any]) -> Field:
    field = unbound_field.bind(form=form, **options)
    guard_field(field)
    return field


@lru_cache(maxsize=8)
def _wtforms_translations(locale: str) -> support.NullTranslations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def _get_translations(self: Any, form: Any) -> support.NullTranslations | None:
    """WTForms' own messages in the request's language, each catalogue read from disk once per
    process (Flask-WTF's hook reads it again for every request that validates a form)."""
    if not has_request_context():
        return None
    return _wtforms_translations(str(get_locale()))


def install_form_rules() -> None:
    """Every ``FlaskForm`` binds its fields through ``_bind_field`` and takes WTForms' messages
    from ``_get_translations`` (idempotent)."""
    FlaskForm.Meta.bind_field = _bind_field  # type: ignore[method-assign]
    FlaskForm.Meta.get_translations = _get_translations  # type: ignore[method-assign]
