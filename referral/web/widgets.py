"""Form fields whose rendering keeps up with long option lists.

A coordinator's filters list every agency and district of their regions (a hundred options or
more per select, several selects per page). WTForms renders each option through
``html_params`` (sorting, key cleaning, two Markup operations per attribute): about 60 µs an
option, a fifth of the overdue review's rendering. ``FastSelect`` writes the same HTML in one
pass for single selects, grouped by region or not, without per-option attributes, and leaves any
other case to WTForms; its output equals WTForms' byte for byte
(tests/foundation/test_widgets.py).
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape
from wtforms import SelectField as _SelectField
from wtforms.widgets import Select, html_params


class FastSelect(Select):
    """``wtforms.widgets.Select`` with a single-pass loop over plain options."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        if self.multiple:
            return super().__call__(field, **kwargs)
        groups = list(field.iter_groups()) if field.has_groups() else [
            (None, field.iter_choices())]
        if any(not hasattr(c, "render_kw") or c.render_kw for _g, cs in groups for c in cs):
            return super().__call__(field, **kwargs)  # legacy tuples or per-option attributes
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for name in self.validation_attrs:
            if name not in kwargs and getattr(flags, name, False):
                kwargs[name] = getattr(flags, name)
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        for group, choices in groups:
            if group is not None:
                html.append(f'<optgroup label="{escape(group)}">')
            html.extend(_option(choice) for choice in choices)
            if group is not None:
                html.append("</optgroup>")
        html.append("</select>")
        return Markup("".join(html))  # noqa: S704 - every value and label escaped


def _option(choice: Any) -> str:
    value = str(choice.value) if isinstance(choice.value, bool) else choice.value
    label = choice.label or choice.value
    selected = "selected " if choice.selected else ""
    return f'<option {selected}value="{escape(value)}">{escape(label)}</option>'


class SelectField(_SelectField):
    """``wtforms.SelectField`` rendered by ``FastSelect``; every form of the app uses it."""

    widget = FastSelect()
