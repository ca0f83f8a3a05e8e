"""FastSelect writes exactly what WTForms' Select writes, option for option."""

from __future__ import annotations

import pytest
from wtforms import Form
from wtforms import SelectField as WTFormsSelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from referral.web.widgets import FastSelect, SelectField

CHOICES = [("", "All"), ("1", 'Crisis "Centre" <Almaty> & Co'), ("2", ""), ("=3", "Formula"),
           ("4", "Қазақша аты")]


def _pair(**field_args):
    class Ours(Form):
        f = SelectField("Label", **field_args)

    class Theirs(Form):
        f = WTFormsSelectField("Label", **field_args)

    return Ours, Theirs


@pytest.mark.parametrize("data", [{}, {"f": "1"}, {"f": "4"}, {"f": "missing"}])
@pytest.mark.parametrize("field_args", [
    {"choices": CHOICES},
    {"choices": [(1, "One"), (2, "Two"), (None, "Nothing")],
     "coerce": lambda v: int(v) if v not in (None, "", "None") else None},
    {"choices": [(True, "Yes"), (False, "No")], "coerce": lambda v: v == "True"},
    {"choices": CHOICES, "validators": [DataRequired()]},
    {"choices": [("a", "A", {"disabled": True}), ("b", "B", {})]},
    {"choices": [SelectChoice("1", "One", optgroup="Group 1"),
                 SelectChoice("2", "Two", optgroup="Group 2")]},
    # An agency picker: the blank outside any group, escaped region names, a region met twice.
    {"choices": [SelectChoice("", "—"), SelectChoice("1", "A & B", optgroup='Region "X" <y>'),
                 SelectChoice("4", "Қазақша аты", optgroup='Region "X" <y>'),
                 SelectChoice("3", "Three", optgroup="Other"),
                 SelectChoice("2", "", optgroup='Region "X" <y>')]},
    {"choices": [SelectChoice("1", "One", optgroup="G", render_kw={"disabled": True}),
                 SelectChoice("2", "Two", optgroup="G")]},
    {"choices": []},
])
def test_same_html_as_wtforms(field_args, data):
    from werkzeug.datastructures import MultiDict

    ours, theirs = _pair(**field_args)
    mine, reference = ours(MultiDict(data)), theirs(MultiDict(data))
    assert str(mine.f()) == str(reference.f())
    assert str(mine.f(class_="wide", data_x="y")) == str(reference.f(class_="wide", data_x="y"))


def test_selected_option_and_escaping():
    from werkzeug.datastructures import MultiDict

    ours, _ = _pair(choices=CHOICES)
    html = str(ours(MultiDict({"f": "1"})).f())
    assert '<option selected value="1">Crisis &#34;Centre&#34; &lt;Almaty&gt; &amp; Co</option>' \
        in html
    assert '<option value="2">2</option>' in html  # an empty label shows the value
    assert html.count("selected") == 1


def test_app_forms_use_the_fast_widget():
    from referral.coordination.forms import FilterForm, PeriodForm

    for form in (FilterForm, PeriodForm):
        assert isinstance(form.region.field_class.widget, FastSelect)
