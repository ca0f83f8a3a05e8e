"""An uploaded import file, kept between its dry run and its commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from referral.extensions import db
from referral.models_base import UTCDateTime, utcnow


class ImportBatch(db.Model):
    """The bytes of one upload, read again for the report page and the commit (no re-upload).

    ``key`` is the random id the report page's URL carries; the row is read only by that key
    together with the uploader's user id, and deleted after its commit or a day after upload.
    """

    __tablename__ = "import_batches"
    __unscoped__ = ("read only by its random key and its uploader's user id (referral/imports/"
                    "batches.py); holds no case content")

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200), default="")
    # The table a single CSV holds ("" for a workbook or a ZIP, whose sheets name their tables).
    table: Mapped[str] = mapped_column(String(32), default="")
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
