"""Webhook endpoint forms: the endpoint itself, and bare CSRF-checked buttons."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget


class ButtonForm(FlaskForm):
    """A POST button: only the CSRF token."""


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EndpointForm(FlaskForm):
    url = StringField(_l("Address (URL)"), validators=[InputRequired(), Length(max=500)])
    description = StringField(_l("Description"), validators=[Length(max=200)])
    event_types = CheckboxesField(_l("Events to send"), choices=[])
    version = HiddenField()

    def offer(self, labels: dict[str, object]) -> EndpointForm:
        """The event types this endpoint may subscribe to, with their translated labels."""
        self.event_types.choices = [(code, str(label)) for code, label in labels.items()]
        return self
