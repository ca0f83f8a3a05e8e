"""The documents domain through its services: attach, list, read, version, withdraw; who sees
which document (the case's agency, coordinators, a referral's receiver only what was sent
within consent; restricted cases); retention deletes rows and stored objects, a hold keeps
them; key rotation's row functions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from referral.access.scope import acting_as, system_actor
from referral.audit.models import AuditEvent
from referral.documents import service, sharing, storage
from referral.documents.models import Document, DocumentObject
from referral.errors import DomainError, NotVisible
from referral.extensions import db
from referral.referrals import service as referrals
from tests.documents import samples
from tests.documents.helpers import attach
from tests.fixtures import actor
from tests.referrals.factories import consent, make_case, send


def _audited(action: str, object_id: int | None = None) -> int:
    with acting_as(system_actor("test")):
        query = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        if object_id is not None:
            query = query.where(AuditEvent.object_id == str(object_id))
        return db.session.execute(query).scalar_one()


@pytest.fixture
def case(world):
    case = make_case(world["police"], world["officer"])
    db.session.commit()
    return case


def test_a_photo_is_stored_encrypted_without_its_location_and_read_back(world, case):
    [doc] = attach(world["officer"], case.id, [("injuries.jpg", samples.jpeg())],
                   category="injury_photo", title="Bruises")
    assert (doc.kind, doc.title, doc.original_name) == ("jpeg", "Bruises", "injuries.jpg")
    assert "gps" in doc.removed and doc.thumb_object_id is not None
    stored = db.session.get(DocumentObject, doc.object_id)
    assert stored.final and "injuries" not in stored.storage_key
    raw = storage.current_store().get(storage.FINAL + stored.storage_key)
    _doc, plain = service.read_content(actor(world["officer"]), doc.id)
    assert plain.startswith(b"\xff\xd8") and plain not in raw and b"iPhone" not in plain
    assert service.read_thumbnail(actor(world["officer"]), doc.id).startswith(b"\xff\xd8")
    db.session.commit()
    assert _audited("document.add", doc.id) == 1 and _audited("document.download", doc.id) == 1


def test_each_type_is_accepted_by_its_content_and_an_executable_refused(world, case):
    files = [(name, make()) for name, make, _kind in samples.ALL.values()]
    docs = attach(world["officer"], case.id, files, category="other")
    assert sorted(d.kind for d in docs) == sorted(k for _n, _m, k in samples.ALL.values())
    with pytest.raises(DomainError) as refused:
        service.prepare([("photo.jpg", samples.EXECUTABLE)])
    assert refused.value.field == "files" and "photo.jpg" in refused.value.message
    assert list(storage.current_store().keys(storage.PENDING)) == []


def test_another_agency_and_the_administrator_see_nothing(world, case):
    [doc] = attach(world["officer"], case.id, [("r.pdf", samples.pdf())])
    for who in ("other", "admin", "crisis"):
        with pytest.raises(NotVisible):
            service.get_document(actor(world[who]), doc.id)
        assert service.list_case_documents(actor(world["officer"]), case.id)
    assert service.get_document(actor(world["coordinator"]), doc.id).id == doc.id
    assert service.get_document(actor(world["manager"]), doc.id).id == doc.id


def test_the_receiver_sees_exactly_the_documents_sent_within_consent(world, case):
    police, crisis = world["officer"], world["crisis"]
    [report] = attach(police, case.id, [("r.pdf", samples.pdf())], category="forensic_report")
    [intake] = attach(police, case.id, [("i.docx", samples.docx())], category="intake")
    [photo] = attach(police, case.id, [("p.png", samples.png())], category="injury_photo")
    referral = send(police, case, world["crisis_agency"],
                    consent_input=consent("incident_details"))
    db.session.commit()
    sharing.set_shared(actor(police), referral.id, [report.id, intake.id])
    db.session.commit()
    # Not taken up yet: nothing.
    assert sharing.referral_documents(actor(crisis), referral.id) == []
    referrals.accept_referral(actor(crisis), referral_id=referral.id)
    db.session.commit()
    # The report: sent and within consent. The intake: sent, outside it. The photo: not sent.
    assert [d.id for d in sharing.referral_documents(actor(crisis), referral.id)] == [report.id]
    assert service.get_document(actor(crisis), report.id).id == report.id
    for hidden in (intake.id, photo.id):
        with pytest.raises(NotVisible):
            service.get_document(actor(crisis), hidden)
    assert service.list_case_documents(actor(crisis), case.id)[0].doc.id == report.id
    assert len(sharing.referral_documents(actor(police), referral.id)) == 2
    referrals.withdraw_consent(actor(police), referral_id=referral.id)
    db.session.commit()
    with pytest.raises(NotVisible):
        service.get_document(actor(crisis), report.id)


def test_only_the_sending_agency_chooses(world, case):
    referral = send(world["officer"], case, world["crisis_agency"])
    db.session.commit()
    with pytest.raises(NotVisible):
        sharing.choice_for(actor(world["crisis"]), referral.id)
    with pytest.raises(NotVisible):
        sharing.set_shared(actor(world["other"]), referral.id, [])


def test_restricted_cases_documents_follow_the_restriction(world):
    case = make_case(world["police"], world["officer"], restricted=True,
                     members=(world["officer"],))
    db.session.commit()
    [doc] = attach(world["officer"], case.id, [("r.pdf", samples.pdf())])
    with pytest.raises(NotVisible):
        service.get_document(actor(world["manager"]), doc.id)
    with pytest.raises(NotVisible):
        service.get_document(actor(world["coordinator"]), doc.id)
    assert service.get_document(actor(world["officer"]), doc.id)


def test_a_new_version_supersedes_and_keeps_the_old(world, case):
    [old] = attach(world["officer"], case.id, [("r.pdf", samples.pdf())], title="Report")
    prepared = service.prepare([("r2.pdf", samples.pdf("Someone"))])
    new = service.add_version(actor(world["officer"]), old.id, prepared[0])
    db.session.commit()
    [listed] = service.list_case_documents(actor(world["officer"]), case.id)
    assert listed.doc.id == new.id and [d.id for d in listed.earlier] == [old.id]
    assert new.title == "Report" and new.supersedes_id == old.id
    with pytest.raises(DomainError):
        service.add_version(actor(world["officer"]), old.id, prepared[0])


def test_a_withdrawn_document_is_hidden_kept_and_audited(world, case):
    [doc] = attach(world["officer"], case.id, [("r.pdf", samples.pdf())])
    with pytest.raises(DomainError):
        service.withdraw(actor(world["officer"]), doc.id, reason=" ")
    service.withdraw(actor(world["officer"]), doc.id, reason="Wrong family")
    db.session.commit()
    assert service.list_case_documents(actor(world["officer"]), case.id) == []
    with pytest.raises(NotVisible):
        service.read_content(actor(world["officer"]), doc.id)
    with acting_as(system_actor("test")):
        kept = db.session.execute(select(Document).where(Document.id == doc.id)).scalar_one()
    assert kept.withdraw_reason == "Wrong family" and kept.withdrawn_by_id == world["officer"].id
    assert _audited("document.withdraw", doc.id) == 1


def test_only_the_case_agency_or_the_adder_may_withdraw(world, case):
    [doc] = attach(world["officer"], case.id, [("r.pdf", samples.pdf())])
    with pytest.raises(NotVisible):
        service.withdraw(actor(world["coordinator"]), doc.id, reason="x")


def test_an_attachment_must_belong_to_the_case(world, case):
    other_case = make_case(world["police"], world["officer"])
    referral = send(world["officer"], other_case, world["crisis_agency"])
    db.session.commit()
    with pytest.raises(DomainError):
        attach(world["officer"], case.id, [("r.pdf", samples.pdf())],
               attach_to=f"referral:{referral.id}")
    [doc] = attach(world["officer"], other_case.id, [("r.pdf", samples.pdf())],
                   attach_to=f"referral:{referral.id}")
    assert (doc.attached_type, doc.attached_id) == ("referral", referral.id)
    from referral.documents import attach as targets

    offered = dict(targets.choices(actor(world["officer"]), other_case.id))
    assert f"referral:{referral.id}" in offered and "" in offered
    with pytest.raises(DomainError):
        targets.resolve(actor(world["officer"]), other_case.id, "action:999999")


def test_rotation_rows_are_every_stored_object(world, case):
    attach(world["officer"], case.id, [("a.jpg", samples.jpeg()), ("b.pdf", samples.pdf())])
    rows = list(service.iter_wrapped_keys())
    assert len(rows) == 3  # two files and the photo's thumbnail
    row_id, wrapped, key_id = rows[0]
    service.set_wrapped_key(row_id, wrapped, key_id)
    keys = [o.storage_key for o in db.session.execute(select(DocumentObject)).scalars()]
    assert service.stored_keys_claimed(keys + ["nobody"]) == set(keys)
