"""The settings reference in docs/operations.md is the code's SETTINGS table, not a copy that
drifts: every variable the app reads is in it, with its type, default and meaning."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from referral import settings_reference
from referral.settings import NOT_SETTINGS, SETTINGS

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "operations.md"


def _guide_table() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    assert settings_reference.START in text and settings_reference.END in text
    return text.split(settings_reference.START, 1)[1].split(settings_reference.END, 1)[0]


def test_every_variable_has_a_meaning_and_a_default() -> None:
    assert settings_reference.incomplete() == [], (
        "write these in referral/settings_reference.py (MEANINGS / COMPUTED), then run "
        "scripts/settings-reference --write")


def test_the_guides_table_is_the_codes() -> None:
    assert _guide_table().strip() == settings_reference.markdown().strip(), (
        "docs/operations.md's settings table is out of date: run scripts/settings-reference "
        "--write")


def test_the_table_names_every_variable_once() -> None:
    names = [row[0] for row in settings_reference.rows()]
    expected = {s.variable for s in SETTINGS} | set(NOT_SETTINGS)
    assert set(names) == expected
    assert len(names) == len(set(names))
    table = _guide_table()
    for name in expected:
        assert f"| `{name}` |" in table


def test_defaults_are_written_as_the_variable_takes_them() -> None:
    by_name = {row[0]: row for row in settings_reference.rows()}
    assert by_name["SESSION_IDLE_MINUTES"][2] == "`30`"           # minutes, not seconds
    assert by_name["REFERRAL_SESSION_IDLE_TIMEOUT"][2] == "`1800`"  # seconds
    assert by_name["REFERRAL_HSTS"][2] == "`false`; production `true`"
    assert by_name["REFERRAL_NOTIFY_PENDING_THRESHOLDS"][2] == "`50,80`"
    assert by_name["REFERRAL_REFERRAL_DEADLINES"][2] == (
        '`{"emergency": 2, "urgent": 24, "routine": 72}`')


def test_the_script_prints_and_checks() -> None:
    script = ROOT / "scripts" / "settings-reference"
    printed = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                             check=True, cwd=ROOT)
    assert printed.stdout == settings_reference.markdown()
    checked = subprocess.run([sys.executable, str(script), "--check"], capture_output=True,
                             text=True, cwd=ROOT)
    assert checked.returncode == 0, checked.stderr


def test_replace_in_keeps_the_text_around_the_markers() -> None:
    text = f"before\n{settings_reference.START}\nSTALE-TABLE\n{settings_reference.END}\nafter\n"
    new = settings_reference.replace_in(text)
    assert new.startswith(f"before\n{settings_reference.START}\n| Variable |")
    assert new.endswith(f"{settings_reference.END}\nafter\n")
    assert "STALE-TABLE" not in new
