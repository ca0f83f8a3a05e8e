"""The documents domain over the S3 store (moto's S3 API server over HTTP): attach, finalise,
read back, and the object in the bucket is ciphertext under a generated name."""

from __future__ import annotations

from typing import Any

import pytest

from referral.documents import service, storage
from referral.documents.models import DocumentObject
from referral.extensions import db
from tests.documents import samples
from tests.documents.helpers import attach
from tests.fixtures import actor
from tests.referrals.factories import make_case


@pytest.fixture
def app_config(s3_settings: dict[str, Any]) -> dict[str, Any]:
    return dict(s3_settings)


def test_a_document_round_trips_through_s3(world):
    case = make_case(world["police"], world["officer"])
    db.session.commit()
    assert isinstance(storage.current_store(), storage.S3Store)
    [doc] = attach(world["officer"], case.id, [("report.pdf", samples.pdf())])
    stored = db.session.get(DocumentObject, doc.object_id)
    names = [key for key, _ in storage.current_store().keys(storage.FINAL)]
    assert names == [storage.FINAL + stored.storage_key] and "report" not in names[0]
    raw = storage.current_store().get(names[0])
    _doc, plain = service.read_content(actor(world["officer"]), doc.id)
    assert plain.startswith(b"%PDF") and not raw.startswith(b"%PDF") and plain not in raw
    assert list(storage.current_store().keys(storage.PENDING)) == []
