"""The documents' part of the periodic sweep: finish what a stopped upload left behind.

Objects whose rows were committed but not moved out of the pending area are finalised after an
hour; pending objects no row claims (the upload stopped before its commit) are deleted after a
day. Listing the store on every beat would cost an S3 request a minute for nothing, so a
process does it at most every 15 minutes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from referral.documents import storage
from referral.documents.cli import finalise_claimed
from referral.documents.service import stored_keys_claimed
from referral.notifications.rules import register_rule

FINALISE_AFTER = timedelta(hours=1)
PENDING_MAX_AGE = timedelta(days=1)
EVERY = timedelta(minutes=15)
_last_run: dict[str, datetime] = {}


@register_rule("documents_pending", order=90)
def sweep_documents(*, now: datetime) -> int:
    """How many stored objects were finalised or deleted."""
    last = _last_run.get("sweep")
    if last is not None and now - last < EVERY:
        return 0
    _last_run["sweep"] = now
    store = storage.current_store()
    done = finalise_claimed(store, before=now - FINALISE_AFTER)
    return done + storage.sweep_pending(store, older_than=now - PENDING_MAX_AGE,
                                        referenced=stored_keys_claimed)
