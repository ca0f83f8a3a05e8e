"""Forms of the document pages: attach files, a new version, withdraw, choose what a referral
sends. File fields carry no data the form keeps: the view reads the uploaded files."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    FileField,
    MultipleFileField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length

from referral.accounts.forms import REQUIRED
from referral.documents.service import CATEGORIES, MAX_NOTE

# What the file picker offers; the server decides by content whatever is sent.
ACCEPT = {"accept": ".pdf,.jpg,.jpeg,.png,.heic,.heif,.docx,.odt,application/pdf,image/jpeg,"
                    "image/png,image/heic,image/heif"}


def category_choices() -> list[tuple[str, object]]:
    return [("", _l("Choose…"))] + [(code, label) for code, (label, _c) in CATEGORIES.items()]


class UploadForm(FlaskForm):
    files = MultipleFileField(_l("Files"), render_kw=ACCEPT)
    category = SelectField(_l("Category"), choices=category_choices,
                           validators=[DataRequired(REQUIRED)])
    title = StringField(_l("Title"), validators=[Length(max=200)])
    note = TextAreaField(_l("Note"), validators=[Length(max=MAX_NOTE)])
    attach = SelectField(_l("Belongs to"), choices=[("", "")], validate_choice=False,
                         validators=[Length(max=24)])


class VersionForm(FlaskForm):
    files = FileField(_l("The new version"), render_kw=ACCEPT)
    title = StringField(_l("Title"), validators=[Length(max=200)])
    note = TextAreaField(_l("Note"), validators=[Length(max=MAX_NOTE)])


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Why is this document withdrawn?"),
                           validators=[DataRequired(REQUIRED), Length(max=MAX_NOTE)])


class ShareForm(FlaskForm):
    documents = SelectMultipleField(_l("Documents to send"), coerce=int, choices=[],
                                    option_widget=widgets.CheckboxInput(),
                                    widget=widgets.ListWidget(prefix_label=False))
