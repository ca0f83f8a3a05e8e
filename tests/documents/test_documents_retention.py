"""Documents follow their case's retention: a case closed past its period loses its documents,
rows and encrypted objects alike; a case under a legal hold keeps them; the dry run counts them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from referral.access.scope import acting_as, system_actor
from referral.cases.models import Case
from referral.documents import storage
from referral.documents.models import Document, DocumentObject, DocumentShare
from referral.extensions import db
from referral.retention import service as retention
from referral.retention.models import LegalHold
from tests.documents import samples
from tests.documents.helpers import attach
from tests.referrals.factories import make_case, send

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def _closed_long_ago(case_id: int) -> None:
    with acting_as(system_actor("test")):
        db.session.execute(update(Case).where(Case.id == case_id).values(
            status="closed", closed_at=NOW - timedelta(days=11 * 365)))
    db.session.commit()


def _count(model: type, **where: int) -> int:
    with acting_as(system_actor("test")):
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return db.session.execute(query).scalar_one()


def test_a_due_case_loses_its_documents_and_a_held_one_keeps_them(world):
    due = make_case(world["police"], world["officer"])
    held = make_case(world["police"], world["officer"])
    db.session.commit()
    attach(world["officer"], due.id, [("p.jpg", samples.jpeg())])
    [report_doc] = attach(world["officer"], due.id, [("r.pdf", samples.pdf())])
    referral = send(world["officer"], due, world["crisis_agency"])
    db.session.add(DocumentShare(document_id=report_doc.id, referral_id=referral.id,
                                 added_by_id=world["officer"].id))
    attach(world["officer"], held.id, [("h.pdf", samples.pdf())])
    db.session.add(LegalHold(case_id=held.id, placed_by_id=world["manager"].id, reason="Court"))
    db.session.commit()
    for case in (due, held):
        _closed_long_ago(case.id)
    store = storage.current_store()
    assert len(list(store.keys(storage.FINAL))) == 4  # three files and the photo's thumbnail

    report = {row.case_id: row.counts for row in retention.due_cases(now=NOW)}
    assert report[due.id].get("documents") == 2 and held.id not in report
    result = retention.run(now=NOW)
    db.session.commit()
    assert result.purged[due.id]["documents"] == 2
    assert _count(Document, case_id=due.id) == 0 and _count(DocumentShare) == 0
    assert _count(Document, case_id=held.id) == 1 and _count(DocumentObject) == 1
    [left] = list(store.keys(storage.FINAL))
    with acting_as(system_actor("test")):
        kept = db.session.execute(select(DocumentObject.storage_key)).scalar_one()
    assert left[0] == storage.FINAL + kept


def test_a_rolled_back_purge_keeps_the_files(world):
    case = make_case(world["police"], world["officer"])
    db.session.commit()
    attach(world["officer"], case.id, [("r.pdf", samples.pdf())])
    _closed_long_ago(case.id)
    retention.purge_case(case.id, now=NOW)
    db.session.rollback()
    assert len(list(storage.current_store().keys(storage.FINAL))) == 1
    assert _count(Document, case_id=case.id) == 1
