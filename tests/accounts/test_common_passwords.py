"""The bundled list of common passwords: large, clean, its source recorded, and enforced."""

from __future__ import annotations

from importlib import resources

import pytest

from referral.accounts.passwords import common_passwords, password_problems


def _lines() -> list[str]:
    text = resources.files("referral").joinpath("data/common-passwords.txt").read_text("utf-8")
    return text.splitlines()


def test_the_list_is_large_lower_case_and_without_duplicates():
    entries = [line for line in _lines() if line and not line.startswith("#")]
    assert len(entries) >= 10_000
    assert len(common_passwords()) == len(entries) == len(set(entries))
    assert all(entry == entry.lower() == entry.strip() for entry in entries)


def test_the_source_and_licence_are_recorded():
    header = " ".join(line for line in _lines() if line.startswith("#"))
    assert "zxcvbn" in header and "MIT" in header
    readme = resources.files("referral").joinpath("data/common-passwords.README.md")
    assert "Permission is hereby granted" in readme.read_text("utf-8")


@pytest.mark.parametrize("password", [
    "password1234", "qwertyuiop123", "123456789012", "iloveyou1234",
    "PASSWORD1234", "correcthorsebatterystaple", "1q2w3e4r5t6y",
])
def test_well_known_passwords_are_refused(ctx, password):
    assert any("too common" in problem for problem in password_problems(password))


def test_an_uncommon_passphrase_passes(ctx):
    assert password_problems("quiet rivers under the steppe moon") == []
