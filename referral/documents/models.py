"""Documents of a case: the file's label and metadata, its encrypted stored objects, versions,
withdrawals, and which documents travel with which referral."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from referral.accounts.models import User
from referral.extensions import db
from referral.models_base import UTCDateTime, utcnow


class DocumentObject(db.Model):
    """One encrypted stored object (a file or its thumbnail): where it is and its wrapped key.

    Holds ciphertext bookkeeping only; its bytes are read through a scoped ``Document``.
    """

    __tablename__ = "document_objects"
    __unscoped__ = ("an encrypted object's storage name and wrapped key; only read through the "
                    "scoped document that refers to it")

    id: Mapped[int] = mapped_column(primary_key=True)
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer, default=0)
    # False until the object is moved from the pending area after its row was committed.
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Document(db.Model):
    """A file attached to a case (and optionally to one of its records). The user's file name
    is a label only; the stored object has a generated name. Scoped (referral.documents.scope):
    the case's own agency and coordinators see it with the case; a referral's receiver sees it
    only when it was sent with the referral and its category is within the consent."""

    __tablename__ = "documents"
    __scoped__ = True
    __table_args__ = (
        Index("ix_documents_case", "case_id", "added_at"),
        Index("ix_documents_supersedes", "supersedes_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    category: Mapped[str] = mapped_column(String(24))
    # The consent category (referral.cases.scope.DATA_CATEGORIES) the document falls in.
    data_category: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    original_name: Mapped[str] = mapped_column(String(255), default="")
    kind: Mapped[str] = mapped_column(String(8))
    mime: Mapped[str] = mapped_column(String(100))
    extension: Mapped[str] = mapped_column(String(8))
    size: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[list[str]] = mapped_column(JSON, default=list)
    attached_type: Mapped[str | None] = mapped_column(String(16))
    attached_id: Mapped[int | None] = mapped_column(Integer)
    object_id: Mapped[int] = mapped_column(ForeignKey("document_objects.id"))
    thumb_object_id: Mapped[int | None] = mapped_column(ForeignKey("document_objects.id"))
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdraw_reason: Mapped[str] = mapped_column(Text, default="")

    added_by: Mapped[User] = relationship(foreign_keys=[added_by_id])
    stored: Mapped[DocumentObject] = relationship(foreign_keys=[object_id])
    thumb: Mapped[DocumentObject | None] = relationship(foreign_keys=[thumb_object_id])

    @property
    def current(self) -> bool:
        return self.superseded_at is None and self.withdrawn_at is None


class DocumentShare(db.Model):
    """The sender chose to send this document with this referral. The receiver reads it while
    the referral is taken up and the survivor's consent covers the document's category."""

    __tablename__ = "document_shares"
    __scoped__ = True
    __table_args__ = (
        UniqueConstraint("document_id", "referral_id", name="uq_document_shares_pair"),
        Index("ix_document_shares_referral", "referral_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"))
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
