"""The documents' rule in the periodic sweep: a committed row whose object was left pending is
finalised, a pending object no row claims is deleted after a day, and the rule is registered."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from referral.documents import notify, service, storage
from referral.documents.models import DocumentObject
from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications.rules import registered_rules
from tests.documents import samples
from tests.fixtures import actor
from tests.referrals.factories import make_case


def test_the_sweep_finalises_claimed_objects_and_deletes_orphans(world, monkeypatch):
    case = make_case(world["police"], world["officer"])
    db.session.commit()
    prepared = service.prepare([("r.pdf", samples.pdf())])  # the request stopped after commit
    service.add_documents(actor(world["officer"]), case.id, prepared, category="protocol")
    db.session.execute(update(DocumentObject).values(created_at=utcnow() - timedelta(hours=2)))
    db.session.commit()
    orphan = service.prepare([("o.pdf", samples.pdf())])  # ... and this one before its commit
    store = storage.current_store()
    later = utcnow() + timedelta(days=2)
    monkeypatch.setattr(notify, "_last_run", {})
    assert notify.sweep_documents(now=later) == 2
    db.session.commit()
    [row] = db.session.execute(select(DocumentObject)).scalars()
    assert row.final
    assert [k for k, _ in store.keys(storage.FINAL)] == [storage.FINAL + prepared[0].object_key]
    assert list(store.keys(storage.PENDING)) == [] and orphan[0].object_key != row.storage_key
    assert notify.sweep_documents(now=later) == 0  # at most every 15 minutes
    assert "documents_pending" in dict(registered_rules())
