"""Answers remembered for one root transaction, forgotten on the writes that could change them.

Used where a request or a job asks the same question many times (the case page's case, the
sweep's recipients). Keyed by the root transaction object, so the next transaction starts
afresh; no "after_commit" hook, because SQLAlchemy fires it for every savepoint released too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from referral.extensions import db


class TransactionMemo:
    """A dict per root transaction; ``stale(obj)`` says which flushed objects invalidate it."""

    def __init__(self, name: str, stale: Callable[[object], bool]) -> None:
        self.name = name
        self.stale = stale
        event.listen(Session, "after_flush", self._after_flush)
        event.listen(Session, "after_soft_rollback", self._after_rollback)

    def entries(self) -> dict[Any, Any]:
        """The current transaction's entries (an empty dict when it has none yet)."""
        session = db.session()
        transaction = session.get_transaction()
        held = session.info.get(self.name)
        if held is None or held[0] is not transaction:
            held = (transaction, {})
            session.info[self.name] = held
        return held[1]

    def get_or_compute(self, key: Any, compute: Callable[[], Any]) -> Any:
        entries = self.entries()
        if key not in entries:
            entries[key] = compute()
        return entries[key]

    def _after_flush(self, session: Session, _context: Any) -> None:
        if any(self.stale(obj) for obj in (*session.new, *session.dirty, *session.deleted)):
            session.info.pop(self.name, None)

    def _after_rollback(self, session: Session, _previous: Any) -> None:
        session.info.pop(self.name, None)
