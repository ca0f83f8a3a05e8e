"""What a dry run or a commit found: each row's outcome and messages, table by table."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from referral.imports.columns import TABLES

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"
OUTCOMES = (CREATE, UPDATE, UNCHANGED, ERROR)
OUTCOME_LABELS = {
    CREATE: _l("Create"),
    UPDATE: _l("Update"),
    UNCHANGED: _l("Unchanged"),
    ERROR: _l("Error"),
}


@dataclass
class RowResult:
    row: int  # as the spreadsheet numbers it: the header is row 1
    external_id: str
    outcome: str
    messages: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(OUTCOME_LABELS[self.outcome])


@dataclass
class TableReport:
    table: str
    rows: list[RowResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the table's own (a missing column)
    notes: list[str] = field(default_factory=list)  # worth knowing, not an error

    @property
    def label(self) -> str:
        return str(TABLES[self.table].label)

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(r.outcome for r in self.rows)
        return {outcome: found.get(outcome, 0) for outcome in OUTCOMES}

    @property
    def has_errors(self) -> bool:
        return bool(self.problems) or any(r.outcome == ERROR for r in self.rows)


@dataclass
class Report:
    tables: list[TableReport] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    committed: bool = False

    @property
    def has_errors(self) -> bool:
        return any(t.has_errors for t in self.tables)

    @property
    def counts(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for table in self.tables:
            total.update(table.counts)
        return {outcome: total.get(outcome, 0) for outcome in OUTCOMES}

    def audit_details(self) -> dict[str, object]:
        """Counts and table names only: no row's content."""
        return {**self.counts, "tables": ",".join(t.table for t in self.tables),
                "problems": sum(len(t.problems) for t in self.tables)}
