"""The sample files in docs/samples/import are the sample the code builds, and they import."""

from __future__ import annotations

from pathlib import Path

from referral.imports.sample import SAMPLE, csv_bytes
from tests.imports.helpers import dry, package_bytes

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples" / "import"


def test_the_documented_sample_files_match_the_code():
    for table, rows in SAMPLE.items():
        assert (SAMPLES / f"{table}.csv").read_bytes() == csv_bytes(table, rows), table


def test_the_sample_imports_without_errors(ctx, world):
    assert not dry(package_bytes()).has_errors
