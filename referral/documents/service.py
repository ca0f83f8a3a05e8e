"""Documents of a case: attach (sanitised, encrypted, stored), list, read, version, withdraw.

Writing a file: ``prepare`` checks and cleans each file by its content, seals it with a fresh
key and puts it under the store's pending area, with no database transaction open (slow work
must not hold SQLite's writer); ``add_documents`` writes the rows in the action's transaction;
after the commit ``finalise`` moves the objects to their final names and marks them. A crash in
between leaves a pending object a row claims (finalised by the sweep) or one no row claims
(removed by the sweep after a day), never a row without its file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from referral.access import scoped
from referral.access.scope import Actor
from referral.audit import service as audit
from referral.cases.models import Case
from referral.cases.service import is_owner, writable_case
from referral.documents import attach as attach_targets
from referral.documents import crypto, storage
from referral.documents.models import Document, DocumentObject
from referral.documents.sanitize import Refused, Sanitized, sanitize
from referral.errors import DomainError, NotVisible
from referral.extensions import db
from referral.models_base import utcnow

# Category of a document → the consent category (DATA_CATEGORIES) it falls in: what a
# referral's receiver must have been given to read it.
CATEGORIES: dict[str, tuple[object, str]] = {
    "forensic_report": (_l("Forensic medical report"), "incident_details"),
    "protocol": (_l("Police protocol"), "incident_details"),
    "court_order": (_l("Court order"), "incident_details"),
    "injury_photo": (_l("Photo of injuries"), "incident_details"),
    "medical": (_l("Medical document"), "incident_details"),
    "intake": (_l("Intake form"), "identity_contact"),
    "outcome": (_l("Outcome letter"), "identity_contact"),
    "other": (_l("Other document"), "identity_contact"),
}
MAX_FILES = 10
MAX_NOTE = 2000


def category_label(code: str) -> str:
    found = CATEGORIES.get(code)
    return str(found[0]) if found else str(_l("Other document"))


def max_bytes() -> int:
    return int(current_app.config.get("DOCUMENTS_MAX_MB") or 20) * 1024 * 1024


@dataclass(frozen=True)
class Prepared:
    """One checked, cleaned, sealed file already put under the store's pending area."""

    name: str
    clean: Sanitized
    object_key: str
    sealed: crypto.Sealed
    thumb_key: str | None = None
    thumb_sealed: crypto.Sealed | None = None

    @property
    def keys(self) -> list[str]:
        return [k for k in (self.object_key, self.thumb_key) if k]


def _label(name: str) -> str:
    """The user's file name as a label: its last path part, one line, within the column."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable())[:255]


def prepare(files: Sequence[tuple[str, bytes]]) -> list[Prepared]:
    """Check, clean, seal and put each file pending; refuse the lot if any one is refused."""
    if not files:
        raise DomainError(_("Choose at least one file."), field="files")
    if len(files) > MAX_FILES:
        raise DomainError(_("Attach at most %(num)d files at once.", num=MAX_FILES),
                          field="files")
    store, done = storage.current_store(), []
    try:
        for name, data in files:
            try:
                clean = sanitize(data, max_bytes=max_bytes())
            except Refused as err:
                raise DomainError(f"{_label(name)}: {err.message}", field="files") from None
            key, sealed = storage.new_key(), crypto.seal(clean.data)
            store.put(storage.PENDING + key, sealed.ciphertext)
            thumb_key = thumb_sealed = None
            if clean.thumbnail:
                thumb_key, thumb_sealed = storage.new_key(), crypto.seal(clean.thumbnail)
                store.put(storage.PENDING + thumb_key, thumb_sealed.ciphertext)
            done.append(Prepared(_label(name), clean, key, sealed, thumb_key, thumb_sealed))
    except BaseException:
        discard(done)
        raise
    return done


def discard(prepared: Sequence[Prepared]) -> None:
    """Remove the pending objects of files whose rows were not written (a refused action)."""
    store = storage.current_store()
    for item in prepared:
        for key in item.keys:
            store.delete(storage.PENDING + key)


def _object(key: str, sealed: crypto.Sealed) -> DocumentObject:
    row = DocumentObject(storage_key=key, wrapped_key=sealed.wrapped_key, key_id=sealed.key_id,
                         size=len(sealed.ciphertext), final=False)
    db.session.add(row)
    return row


def _checked_text(title: str, note: str, category: str) -> tuple[str, str]:
    if category not in CATEGORIES:
        raise DomainError(_("Choose a category."), field="category")
    title = (title or "").strip()
    if len(title) > 200:
        raise DomainError(_("A title holds at most %(num)d characters.", num=200), field="title")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainError(_("A note holds at most %(num)d characters.", num=MAX_NOTE),
                          field="note")
    return title, note


def _new_row(actor: Actor, case: Case, item: Prepared, *, category: str, title: str, note: str,
             attached: tuple[str, int] | None) -> Document:
    stored = _object(item.object_key, item.sealed)
    thumb = _object(item.thumb_key, item.thumb_sealed) if item.thumb_key and item.thumb_sealed \
        else None
    db.session.flush()
    doc = Document(
        case_id=case.id, agency_id=actor.agency_id, category=category,
        data_category=CATEGORIES[category][1], title=title or item.name or category_label(category),
        note=note, original_name=item.name, kind=item.clean.kind, mime=item.clean.mime,
        extension=item.clean.extension, size=len(item.clean.data),
        removed=list(item.clean.removed), attached_type=attached[0] if attached else None,
        attached_id=attached[1] if attached else None, object_id=stored.id,
        thumb_object_id=thumb.id if thumb else None, added_by_id=actor.user_id)
    db.session.add(doc)
    return doc


@scoped
def add_documents(actor: Actor, case_id: int, prepared: Sequence[Prepared], *, category: str,
                  title: str = "", note: str = "", attach: str | None = None) -> list[Document]:
    """Rows for prepared files on a case the actor may add to (in the category's data)."""
    title, note = _checked_text(title, note, category)
    case = writable_case(actor, case_id, CATEGORIES[category][1])
    attached = attach_targets.resolve(actor, case.id, attach)
    docs = []
    for item in prepared:
        docs.append(_new_row(actor, case, item, category=category,
                             title=title if len(prepared) == 1 else "", note=note,
                             attached=attached))
    db.session.flush()
    for doc in docs:
        audit.record("document.add", object_type="document", object_id=doc.id,
                     details={"case": case.id, "kind": doc.kind, "category": doc.category})
    return docs


def finalise(prepared: Sequence[Prepared]) -> None:
    """After the rows were committed: move the objects to their final names and mark them.
    The caller commits; a failure here leaves pending objects the sweep finalises."""
    store = storage.current_store()
    keys = [k for item in prepared for k in item.keys]
    for key in keys:
        store.move(storage.PENDING + key, storage.FINAL + key)
    if keys:
        db.session.execute(update(DocumentObject).where(DocumentObject.storage_key.in_(keys))
                           .values(final=True))


# --- reading ------------------------------------------------------------------------------------


def _visible(doc_id: int) -> Document:
    doc = db.session.execute(select(Document).options(joinedload(Document.stored))
                             .where(Document.id == doc_id)).scalar_one_or_none()
    if doc is None or doc.withdrawn_at is not None:
        raise NotVisible("document", doc_id)
    return doc


@scoped
def get_document(actor: Actor, doc_id: int) -> Document:
    """A visible, not withdrawn document (NotVisible otherwise: another agency's id is 404)."""
    return _visible(doc_id)


@dataclass(frozen=True)
class Granted:
    """What a permitted, audited read may fetch: enough to serve the file, nothing more. The
    fetch and decryption happen after the read's transaction has committed, so a large file or a
    slow object store never holds the database's write lock (SQLite) or the audit chain's head."""

    storage_key: str
    wrapped_key: bytes
    key_id: str
    mime: str = "image/jpeg"
    name: str = ""


def _granted(row: DocumentObject, **served: str) -> Granted:
    return Granted(row.storage_key, row.wrapped_key, row.key_id, **served)


def fetch(granted: Granted) -> bytes:
    """The plaintext of a granted object, from the store (final, else still pending)."""
    store = storage.current_store()
    try:
        ciphertext = store.get(storage.FINAL + granted.storage_key)
    except KeyError:
        ciphertext = store.get(storage.PENDING + granted.storage_key)
    return crypto.unseal(ciphertext, granted.wrapped_key, granted.key_id)


def _read(row: DocumentObject) -> bytes:
    return fetch(_granted(row))


def download_name(doc: Document) -> str:
    """The file name a download is saved under: the title, with the type's extension."""
    base = "".join(ch if ch.isalnum() or ch in " -_." else "_" for ch in doc.title).strip()
    return f"{(base or 'document')[:80]}.{doc.extension.lstrip('.')}"


@scoped
def grant_content(actor: Actor, doc_id: int) -> tuple[Document, Granted]:
    """A download, checked and audited; ``fetch`` the bytes once this has committed."""
    doc = _visible(doc_id)
    audit.record("document.download", object_type="document", object_id=doc.id,
                 details={"case": doc.case_id})
    return doc, _granted(doc.stored, mime=doc.mime, name=download_name(doc))


@scoped
def grant_thumbnail(actor: Actor, doc_id: int) -> Granted:
    doc = _visible(doc_id)
    if doc.thumb_object_id is None:
        raise NotVisible("document", doc_id)
    thumb = db.session.execute(select(DocumentObject).where(
        DocumentObject.id == doc.thumb_object_id)).scalar_one()
    audit.record("document.thumbnail", object_type="document", object_id=doc.id,
                 details={"case": doc.case_id})
    return _granted(thumb, name=f"thumbnail-{doc.id}.jpg")


def read_content(actor: Actor, doc_id: int) -> tuple[Document, bytes]:
    """The document and its plaintext (for commands and tests; a request grants, commits, then
    fetches)."""
    doc, granted = grant_content(actor, doc_id)
    return doc, fetch(granted)


def read_thumbnail(actor: Actor, doc_id: int) -> bytes:
    return fetch(grant_thumbnail(actor, doc_id))


def _case_rows(case_id: int, *, current_only: bool) -> list[Document]:
    query = (select(Document).options(joinedload(Document.added_by))
             .where(Document.case_id == case_id, Document.withdrawn_at.is_(None))
             .order_by(Document.added_at.desc(), Document.id.desc()))
    if current_only:
        query = query.where(Document.superseded_at.is_(None))
    return list(db.session.execute(query).scalars())


@dataclass
class Listed:
    doc: Document
    earlier: list[Document]


@scoped
def list_case_documents(actor: Actor, case_id: int) -> list[Listed]:
    """The case's documents the actor sees, newest first, each with its earlier versions."""
    rows = _case_rows(case_id, current_only=False)
    by_id = {d.id: d for d in rows}
    listed = []
    for doc in rows:
        if doc.superseded_at is not None:
            continue
        earlier, step = [], doc.supersedes_id
        while step is not None and step in by_id:
            earlier.append(by_id[step])
            step = by_id[step].supersedes_id
        listed.append(Listed(doc, earlier))
    if rows:
        audit.record("document.list", object_type="case", object_id=case_id,
                     details={"documents": sorted(by_id)})
    return listed


@scoped
def panel_documents(actor: Actor, case_id: int) -> list[Document]:
    """The case page's panel: the current documents in one statement. The page's own audit row
    (the case view) records the read: the panel renders after that row was committed."""
    return _case_rows(case_id, current_only=True)


# --- versions and withdrawal --------------------------------------------------------------------


def may_change(actor: Actor, case: Case, doc: Document) -> bool:
    """The agency that leads the case, or the one that added the document."""
    return actor.agency_id is not None and (is_owner(actor, case)
                                            or doc.agency_id == actor.agency_id)


def _changeable(actor: Actor, doc_id: int) -> tuple[Document, Case]:
    doc = _visible(doc_id)
    case = writable_case(actor, doc.case_id, doc.data_category)
    if not may_change(actor, case, doc):
        raise NotVisible("document", doc_id)
    if doc.superseded_at is not None:
        raise DomainError(_("A newer version of this document exists; change that one."))
    return doc, case


@scoped
def add_version(actor: Actor, doc_id: int, item: Prepared, *, title: str = "",
                note: str = "") -> Document:
    """A new version supersedes the document; the old one is kept, listed under it."""
    old, case = _changeable(actor, doc_id)
    title, note = _checked_text(title, note, old.category)
    attached = (old.attached_type, old.attached_id) if old.attached_type and old.attached_id \
        else None
    doc = _new_row(actor, case, item, category=old.category, title=title or old.title,
                   note=note, attached=attached)
    doc.supersedes_id = old.id
    old.superseded_at = utcnow()
    db.session.flush()
    audit.record("document.version", object_type="document", object_id=doc.id,
                 details={"case": case.id, "supersedes": old.id})
    return doc


@scoped
def withdraw(actor: Actor, doc_id: int, *, reason: str) -> Document:
    """Hide a wrong file from every list: kept, with who withdrew it, when and why."""
    doc, case = _changeable(actor, doc_id)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason."), field="reason")
    if len(reason) > MAX_NOTE:
        raise DomainError(_("A reason holds at most %(num)d characters.", num=MAX_NOTE),
                          field="reason")
    doc.withdrawn_at, doc.withdrawn_by_id, doc.withdraw_reason = utcnow(), actor.user_id, reason
    db.session.flush()
    audit.record("document.withdraw", object_type="document", object_id=doc.id,
                 details={"case": case.id})
    return doc


# --- key rotation (flask documents rotate-key) ------------------------------------------------


def iter_wrapped_keys() -> Iterator[tuple[int, bytes, str]]:
    """(object id, wrapped key, key id) of every stored object, for re-wrapping."""
    rows = db.session.execute(select(DocumentObject.id, DocumentObject.wrapped_key,
                                     DocumentObject.key_id).order_by(DocumentObject.id))
    yield from ((row_id, wrapped, key_id) for row_id, wrapped, key_id in rows.all())


def set_wrapped_key(row_id: int, wrapped_key: bytes, key_id: str) -> None:
    db.session.execute(update(DocumentObject).where(DocumentObject.id == row_id)
                       .values(wrapped_key=wrapped_key, key_id=key_id))


def stored_keys_claimed(keys: list[str]) -> set[str]:
    """Which of these storage names a row claims (the pending sweep keeps those)."""
    names = [k.rsplit("/", 1)[-1] for k in keys]
    found = set(db.session.execute(select(DocumentObject.storage_key).where(
        DocumentObject.storage_key.in_(names))).scalars())
    return {k for k in keys if k.rsplit("/", 1)[-1] in found}


def unfinished_before(moment: datetime) -> list[str]:
    return list(db.session.execute(select(DocumentObject.storage_key).where(
        DocumentObject.final.is_(False), DocumentObject.created_at < moment)).scalars())
