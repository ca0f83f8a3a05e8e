"""One row under check: its values, the columns its table has, and what is wrong with it."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _

from referral.imports.columns import FALSE_WORDS, MAX_LENGTHS, TRUE_WORDS, TableSpec
from referral.imports.reading import Sheet
from referral.imports.report import CREATE, ERROR, UNCHANGED, UPDATE, RowResult, TableReport


class Row:
    def __init__(self, sheet: Sheet, number: int, values: dict[str, str]) -> None:
        self.sheet, self.number, self.values = sheet, number, values
        self.errors: list[str] = []

    def has(self, column: str) -> bool:
        return column in self.sheet.columns

    def text(self, column: str) -> str:
        return self.values.get(column, "").strip()

    def fail(self, message: str) -> None:
        self.errors.append(message)

    def flag(self, column: str) -> bool:
        word = self.text(column).lower()
        if word not in TRUE_WORDS | FALSE_WORDS:
            self.fail(_("“%(column)s” must be true or false, not “%(value)s”.",
                        column=column, value=self.text(column)))
        return word in TRUE_WORDS

    def count(self, column: str) -> int:
        raw = self.text(column) or "0"
        if not raw.isdigit() or len(raw) > 6:
            self.fail(_("“%(column)s” must be a whole number, 0 or more.", column=column))
            return 0
        return int(raw)

    def check_filled(self, spec: TableSpec) -> None:
        for column in spec.required:
            if not self.text(column):
                self.fail(_("Fill in “%(column)s”.", column=column))
        for column in spec.columns:
            limit = MAX_LENGTHS.get(column)
            if limit is not None and len(self.text(column)) > limit:
                self.fail(_("“%(column)s” is longer than %(n)d characters.",
                            column=column, n=limit))


def start_table(sheet: Sheet, spec: TableSpec, report: TableReport) -> bool:
    """Table-level checks; False when its rows cannot be read at all (a required column missing)."""
    missing = [c for c in spec.required if c not in sheet.columns]
    for column in missing:
        report.problems.append(_("The column “%(column)s” is missing.", column=column))
    extra = [c for c in sheet.columns if c not in spec.columns]
    if extra:
        report.notes.append(_("Columns not read: %(names)s.", names=", ".join(extra)))
    return not missing


def first_rows(sheet: Sheet, column: str,
               transform: Callable[[str], str] | None = None) -> dict[str, int]:
    """Each value of ``column`` → the first row holding it (to report duplicates)."""
    first: dict[str, int] = {}
    for number, values in sheet.rows:
        value = values.get(column, "").strip()
        if transform is not None:
            value = transform(value)
        if value:
            first.setdefault(value, number)
    return first


def check_unique(row: Row, value: str, first: dict[str, int]) -> None:
    if value and first.get(value, row.number) != row.number:
        row.fail(_("“%(value)s” is also in row %(row)d.", value=value, row=first[value]))


def outcome(row: Row, *, new: bool, changed: bool) -> str:
    if row.errors:
        return ERROR
    if new:
        return CREATE
    return UPDATE if changed else UNCHANGED


def result(row: Row, external_id: str, *, new: bool = False, changed: bool = False) -> RowResult:
    return RowResult(row.number, external_id, outcome(row, new=new, changed=changed),
                     list(row.errors))
