"""flask import run / sample: the same report as the page, in the chosen language; exit 1 on
errors; --commit writes all or nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from referral.agencies.models import Agency
from referral.extensions import db
from tests.fixtures import fresh
from tests.imports.helpers import csv_bytes, sample, workbook_bytes


def _agencies() -> int:
    return db.session.execute(select(func.count()).select_from(Agency)).scalar_one()


def test_a_dry_run_then_a_commit_from_the_command_line(app, world, tmp_path):
    path = tmp_path / "directory.xlsx"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["import", "sample", str(path)]).exit_code == 0
    before = _agencies()
    checked = runner.invoke(args=["import", "run", str(path)])
    assert checked.exit_code == 0, checked.output
    assert "org-crisis-1  Create" in checked.output
    fresh()
    assert _agencies() == before
    done = runner.invoke(args=["import", "run", str(path), "--commit"])
    assert done.exit_code == 0 and "Imported." in done.output
    fresh()
    assert _agencies() == before + 2
    again = runner.invoke(args=["import", "run", str(path), "--lang", "ru"])
    assert "org-crisis-1  Без изменений" in again.output


def test_errors_print_in_the_chosen_language_and_exit_non_zero(app, world, tmp_path):
    data = sample(users=None)
    data["districts"][0]["region_code"] = "KZ-99"
    path = tmp_path / "bad.xlsx"
    path.write_bytes(workbook_bytes(data))
    runner = app.test_cli_runner()
    checked = runner.invoke(args=["import", "run", str(path), "--lang", "ru"])
    assert checked.exit_code == 1
    assert "Неизвестный код региона «KZ-99»." in checked.output
    before = _agencies()
    refused = runner.invoke(args=["import", "run", str(path), "--commit"])
    assert refused.exit_code == 1 and "Nothing was imported: 2 rows have errors." in refused.output
    fresh()
    assert _agencies() == before


def test_a_single_csv_names_its_table(app, world, tmp_path):
    path = tmp_path / "districts.csv"
    path.write_bytes(csv_bytes("districts", sample()["districts"]))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["import", "run", str(path)]).exit_code == 1
    result = runner.invoke(args=["import", "run", str(path), "--table", "districts", "--commit"])
    assert result.exit_code == 0, result.output
