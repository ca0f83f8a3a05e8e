"""The upload form: a file, and which table a lone CSV file holds."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField

from referral.imports.columns import TABLES

ACCEPT = {"accept": ".xlsx,.zip,.csv,text/csv,application/zip,"
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def table_choices() -> list[tuple[str, object]]:
    return [("", _l("A workbook or ZIP: its sheets name their tables"))] + [
        (name, spec.label) for name, spec in TABLES.items()]


class UploadForm(FlaskForm):
    file = FileField(_l("File (XLSX, ZIP of CSV files, or CSV)"), render_kw=ACCEPT,
                     validators=[FileRequired(_l("Choose a file."))])
    table = SelectField(_l("Table of a CSV file"), choices=table_choices)
