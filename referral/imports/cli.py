"""flask import run FILE [--table T] [--commit] [--lang ru] and flask import sample FILE.

The same check and the same all-or-nothing write as the web page, as the system; the report
prints every row's outcome in the chosen language; the exit code is 1 when any row has an error.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import force_locale
from flask_babel import gettext as _

from referral.access.scope import acting_as, system_actor
from referral.imports import sample, service
from referral.imports.columns import LOCALES, TABLES
from referral.imports.reading import FileRefused
from referral.imports.report import OUTCOME_LABELS, Report
from referral.web.transaction import run_action

import_cli = AppGroup("import", help="Bulk import of the directory and users (CSV, XLSX, ZIP).")


def _print(report: Report) -> None:
    for table in report.tables:
        counts = table.counts
        click.echo(f"== {table.label} ({table.table}): " + ", ".join(
            f"{label} {counts[code]}" for code, label in _labels()))
        for line in [*table.problems, *table.notes]:
            click.echo(f"   {line}")
        for row in table.rows:
            text = f"  {row.row:>6}  {row.external_id or '-'}  {row.label}"
            click.echo(text + ("" if not row.messages else "  " + " ".join(row.messages)))
    for name in report.ignored:
        click.echo(_("Not read: %(name)s", name=name))


def _labels() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in OUTCOME_LABELS.items()]


@import_cli.command("run")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--table", type=click.Choice(list(TABLES)), default=None,
              help="The table a single CSV file holds.")
@click.option("--commit", "do_commit", is_flag=True, help="Write the file (all or nothing).")
@click.option("--lang", type=click.Choice(LOCALES), default="en", help="Report language.")
def run(path: Path, table: str | None, do_commit: bool, lang: str) -> None:
    """Check FILE (a dry run), or with --commit write it; exit 1 when any row has an error."""
    content = path.read_bytes()
    with force_locale(lang), acting_as(system_actor("cli import run")) as actor:
        call = service.commit if do_commit else service.dry_run
        try:
            report = run_action(lambda: call(actor, content, table=table))
        except service.ImportRefused as refused:
            _print(refused.report)
            raise click.ClickException(refused.message) from None
        except FileRefused as refused:
            raise click.ClickException(refused.message) from None
        _print(report)
        if report.has_errors:
            raise SystemExit(1)
        if report.committed:
            click.echo(_("Imported."))


@import_cli.command("sample")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def write_sample(path: Path) -> None:
    """Write a sample import file: .xlsx, or .zip of CSV files."""
    data = sample.package_bytes() if path.suffix.lower() == ".zip" else sample.workbook_bytes()
    path.write_bytes(data)
    click.echo(str(path))


def register(app: Flask) -> None:
    app.cli.add_command(import_cli)
