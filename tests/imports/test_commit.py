"""A dry run writes nothing; a commit checks again and writes all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from referral.accounts.models import User
from referral.agencies.models import Agency, AgencyService, District
from referral.audit.models import AuditEvent
from referral.extensions import db
from referral.imports import writing
from referral.imports.service import ImportRefused
from tests.fixtures import fresh
from tests.imports.helpers import commit, dry, outcomes, package_bytes, sample, workbook_bytes

MODELS = (Agency, AgencyService, District, User)


def _counts() -> dict[type, int]:
    return {m: db.session.execute(select(func.count()).select_from(m)).scalar_one()
            for m in MODELS}


def test_a_dry_run_writes_nothing_but_its_audit_row(ctx, world):
    before = _counts()
    report = dry(workbook_bytes())
    assert not report.has_errors and report.counts["create"] == 10
    fresh()
    assert _counts() == before
    [row] = db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "import.dry_run")).scalars()
    assert row.details["create"] == 10 and row.object_type == "import"


def test_the_commit_checks_again_and_refuses_what_changed_meanwhile(ctx, world):
    world["police"].external_id = "police-a"
    db.session.commit()
    data = {"services": [{"id": "s1", "organization_id": "police-a",
                          "x_service_code": "police_protection"}],
            "users": [{"email": "new@test.example.org", "full_name": "New",
                       "organization_id": "police-a", "role": "officer"}]}
    assert not dry(package_bytes(data)).has_errors
    world["police"].external_id = "police-a-renamed"  # someone edits between check and commit
    db.session.commit()
    before = _counts()
    with pytest.raises(ImportRefused) as refused:
        commit(package_bytes(data))
    assert outcomes(refused.value.report, "users") == [("new@test.example.org", "error")]
    fresh()
    assert _counts() == before


def test_a_failure_while_writing_rolls_everything_back(ctx, world, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(writing, "_users", broken)
    before = _counts()
    with pytest.raises(RuntimeError):
        commit(workbook_bytes(sample()))
    fresh()
    assert _counts() == before
