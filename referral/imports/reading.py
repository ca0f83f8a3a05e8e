"""Reading an upload into tables of rows: an XLSX workbook (one sheet per table), a ZIP of CSV
files (HSDS tabular data package: one ``<table>.csv`` each) or one CSV of a named table.

The kind is told by the bytes, not the file name: a workbook is a ZIP holding
``[Content_Types].xml`` and ``xl/workbook.xml``; a CSV must be UTF-8 text.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _

from referral.errors import DomainError
from referral.imports.columns import TABLES

MAX_UNPACKED = 60 * 1024 * 1024  # a small upload must not unpack into gigabytes
MAX_ROWS = 20_000


class FileRefused(DomainError):
    """The upload cannot be read as an import file at all."""


@dataclass
class Sheet:
    """One table of the file: its columns and its rows (numbered as a spreadsheet shows them)."""

    name: str
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


@dataclass
class Upload:
    sheets: dict[str, Sheet]
    ignored: list[str] = field(default_factory=list)  # sheets or files of no known table


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _sheet(name: str, lines: list[list[Any]]) -> Sheet:
    header = [_cell(c).lower() for c in (lines[0] if lines else [])]
    while header and not header[-1]:
        header.pop()
    doubled = sorted({c for c in header if c and header.count(c) > 1})
    if doubled:
        raise FileRefused(_("The table “%(table)s” has the column “%(column)s” twice.",
                            table=name, column=doubled[0]))
    sheet = Sheet(name, [c for c in header if c])
    for number, line in enumerate(lines[1:], start=2):
        values = {col: _cell(line[i]) if i < len(line) else ""
                  for i, col in enumerate(header) if col}
        if any(values.values()):
            sheet.rows.append((number, values))
    if len(sheet.rows) > MAX_ROWS:
        raise FileRefused(_("The table “%(table)s” has more than %(n)d rows; split the file.",
                            table=name, n=MAX_ROWS))
    return sheet


def _text(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(_("The file is not an XLSX workbook, a ZIP of CSV files or a CSV "
                            "file in UTF-8.")) from None
    if "\x00" in text:
        raise FileRefused(_("The file is not an XLSX workbook, a ZIP of CSV files or a CSV "
                            "file in UTF-8."))
    return text


def _csv_lines(data: bytes) -> list[list[Any]]:
    text = _text(data)
    # The separator is the header's: column names hold none of them (a spreadsheet saved
    # in a Russian locale writes ";", a tab-separated export "\t").
    header = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=header.count)
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _add(upload: Upload, name: str, lines: list[list[Any]]) -> None:
    table = name.strip().lower()
    if not any(_cell(value) for line in lines[:1] for value in line):
        return  # an empty sheet (a workbook's unused "Sheet1"): nothing to read or report
    if table in TABLES:
        upload.sheets[table] = _sheet(table, lines)
    else:
        upload.ignored.append(name)


def _workbook(data: bytes) -> Upload:
    import openpyxl  # heavy: only when a workbook comes

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any damage in the workbook reads the same to the user
        raise FileRefused(_("The workbook could not be read. Save it again as .xlsx and "
                            "upload it once more.")) from None
    upload = Upload({})
    for sheet in book.worksheets:
        _add(upload, sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)])
    book.close()
    return upload


def _package(archive: zipfile.ZipFile) -> Upload:
    upload = Upload({})
    for info in archive.infolist():
        base = info.filename.rsplit("/", 1)[-1]
        if info.is_dir() or base.startswith("."):
            continue
        if not base.lower().endswith(".csv"):
            if base.lower() != "datapackage.json":
                upload.ignored.append(base)
            continue
        _add(upload, base[:-4], _csv_lines(archive.read(info)))
    return upload


def read_upload(data: bytes, *, table: str | None = None) -> Upload:
    """The tables of an upload; ``table`` names the one table of a lone CSV file."""
    if data[:4] == b"PK\x03\x04":
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            infos = archive.infolist()
        except zipfile.BadZipFile:
            raise FileRefused(_("The ZIP file is damaged.")) from None
        if sum(i.file_size for i in infos) > MAX_UNPACKED:
            raise FileRefused(_("The file unpacks to more than the import accepts."))
        names = {i.filename for i in infos}
        upload = (_workbook(data) if {"[Content_Types].xml", "xl/workbook.xml"} <= names
                  else _package(archive))
    else:
        if table not in TABLES:
            _text(data)  # a binary file is refused as such, before asking for its table
            raise FileRefused(_("Choose the table this CSV file holds."))
        upload = Upload({})
        _add(upload, table, _csv_lines(data))
    if not upload.sheets:
        raise FileRefused(_("The file holds none of the tables the import reads (%(names)s).",
                            names=", ".join(TABLES)))
    return upload
