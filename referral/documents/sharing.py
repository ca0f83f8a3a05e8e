"""Which documents travel with a referral: chosen by the sending agency, read by the receiver
within the survivor's consent (the rule is in referral.documents.scope)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from referral.access import scoped
from referral.access.scope import Actor
from referral.audit import service as audit
from referral.cases.service import refuse_read_only, writable_case
from referral.documents.models import Document, DocumentShare
from referral.errors import NotVisible
from referral.extensions import db
from referral.referrals.models import Referral


def _referral(actor: Actor, referral_id: int) -> Referral:
    referral = db.session.execute(select(Referral).options(joinedload(Referral.consent))
                                  .where(Referral.id == referral_id)).scalar_one_or_none()
    if referral is None:
        raise NotVisible("referral", referral_id)
    return referral


def may_choose(actor: Actor, referral: Referral) -> bool:
    return actor.agency_id is not None and referral.sender_agency_id == actor.agency_id


@dataclass
class Choice:
    referral: Referral
    documents: list[Document]
    chosen: set[int]
    consented: frozenset[str]

    def within_consent(self, doc: Document) -> bool:
        return doc.data_category in self.consented


def _consented(referral: Referral) -> frozenset[str]:
    consent = referral.consent
    if consent is None or not consent.consented or consent.withdrawn_at is not None:
        return frozenset()
    return frozenset(consent.categories or ())


@scoped
def choice_for(actor: Actor, referral_id: int) -> Choice:
    """The sender's page: the case's current documents, which are sent, what consent covers."""
    referral = _referral(actor, referral_id)
    if not may_choose(actor, referral):
        raise NotVisible("referral", referral_id)
    docs = list(db.session.execute(
        select(Document).where(Document.case_id == referral.case_id,
                               Document.withdrawn_at.is_(None), Document.superseded_at.is_(None))
        .order_by(Document.added_at.desc(), Document.id.desc())).scalars())
    chosen = set(db.session.execute(select(DocumentShare.document_id).where(
        DocumentShare.referral_id == referral.id)).scalars())
    audit.record("document.list", object_type="referral", object_id=referral.id,
                 details={"documents": [d.id for d in docs]})
    return Choice(referral, docs, chosen, _consented(referral))


@scoped
def set_shared(actor: Actor, referral_id: int, document_ids: Iterable[int]) -> set[int]:
    """Send exactly these of the case's documents with the referral; the ids now sent."""
    referral = _referral(actor, referral_id)
    if not may_choose(actor, referral):
        raise NotVisible("referral", referral_id)
    case = writable_case(actor, referral.case_id)
    refuse_read_only(actor, case)
    wanted = set(db.session.execute(select(Document.id).where(
        Document.case_id == referral.case_id, Document.withdrawn_at.is_(None),
        Document.id.in_(sorted(set(document_ids))))).scalars())
    before = set(db.session.execute(select(DocumentShare.document_id).where(
        DocumentShare.referral_id == referral.id)).scalars())
    removed, added = before - wanted, wanted - before
    if removed:
        db.session.execute(delete(DocumentShare).where(
            DocumentShare.referral_id == referral.id,
            DocumentShare.document_id.in_(sorted(removed))))
    for doc_id in sorted(added):
        db.session.add(DocumentShare(document_id=doc_id, referral_id=referral.id,
                                     added_by_id=actor.user_id))
    db.session.flush()
    if added or removed:
        audit.record("document.share", object_type="referral", object_id=referral.id,
                     details={"added": sorted(added), "removed": sorted(removed)})
    return wanted


@scoped
def referral_documents(actor: Actor, referral_id: int) -> list[Document]:
    """The documents sent with a referral that the actor may read (the receiver: those within
    the consent in force), in one statement. The referral page's own audit row (the referral
    view) records the read: the panel renders after that row was committed."""
    shared = select(DocumentShare.__table__.c.document_id).where(
        DocumentShare.__table__.c.referral_id == referral_id)
    docs = list(db.session.execute(
        select(Document).options(joinedload(Document.added_by))
        .where(Document.id.in_(shared), Document.withdrawn_at.is_(None))
        .order_by(Document.added_at.desc(), Document.id.desc())).scalars())
    return docs
