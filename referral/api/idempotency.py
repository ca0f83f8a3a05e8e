"""Idempotency-Key on POST: a call retried with the same key creates one record, not two.

It follows the IETF draft "The Idempotency-Key HTTP Header Field": the first call with a key
claims the key (one row per token and key, a unique constraint, so of two concurrent calls
exactly one wins); a retry with the same key and the same request (method, path and a hash of
the body) gets the first answer again, with ``Idempotent-Replayed: true``, and nothing runs; the
same key with another request is refused (422); a retry while the first call still runs is
refused with 409 and ``Retry-After`` (it is not kept waiting: a retry loop of the client's is
simpler and holds no database connection).

What is kept, and why:
- 2xx answers: the effect happened; a retry must learn of it instead of repeating it.
- Refusals by the operation's own rules (``refused`` 422, ``conflict`` 409, ``forbidden`` 403):
  the same request would be refused again, and "one key, one answer" holds.
- Not kept: anything refused before the operation ran or about the request's form (401, 404,
  400, 413, 415, a 422 of field validation, 429), preconditions (412/428: If-Match is not part
  of the request's fingerprint, so the caller may correct it and retry with the same key), and
  5xx (nothing was written; a retry must be able to succeed). Their key is released.

Keys expire after ``TTL`` (24 h): the sweep deletes older rows (``purge_expired``); a row that is
older but not yet swept is treated as absent. A claim left "running" by a process that died
(``ABANDONED_AFTER``) is released too: if that process had committed its work before dying, the
retry does it again, as a retry with a new key would (the alternative, refusing the key for a
day, leaves the client only that). The stored answers hold what their call was shown (a new
case) and so live no longer than a day. A member an operation shows once (``shown_once``: a
webhook secret) is kept as null: it is never stored, and a replay does not show it again. A
POST that only reads (the IIN search) is never stored: its answer names people, and running it
again changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Response, request
from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from referral.api.auth import current_token
from referral.api.errors import problem_for
from referral.api.models import IdempotentRequest
from referral.api.problems import MEDIA_TYPE, Problem
from referral.api.spec import AROUND, Operation
from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications.rules import register_rule
from referral.web.transaction import commit_uncounted

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
TTL = timedelta(hours=24)
IN_PROGRESS = 0  # the status of a claimed key whose call has not answered yet
# A claim still "running" after this long belongs to a process that died (no request lives
# that long behind gunicorn's 30 s timeout): it is released, so the client's retry runs.
ABANDONED_AFTER = timedelta(minutes=5)
KEY = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII: a UUID, a ULID, a random string
KEPT_TYPES = ("/refused", "/conflict", "/forbidden")
KEPT_HEADERS = ("Content-Type", "Content-Language", "Location", "ETag")
_table = IdempotentRequest.__table__


def fingerprint() -> str:
    """SHA-256 of the method, the path with its query string and the body's own SHA-256."""
    body = hashlib.sha256(request.get_data(cache=True)).hexdigest()
    path = request.full_path.rstrip("?")
    return hashlib.sha256(f"{request.method}\n{path}\n{body}".encode()).hexdigest()


def _claim(token_id: int, key: str, print_: str) -> bool:
    """Insert the key's row (committed at once) unless it exists; True when this call won."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(_table).values(
        token_id=token_id, key=key, fingerprint=print_, status=IN_PROGRESS, headers={},
        body="", created_at=utcnow(),
    ).on_conflict_do_nothing(index_elements=["token_id", "key"]).returning(_table.c.id)
    won = db.session.execute(statement).scalar_one_or_none() is not None
    commit_uncounted()
    return won


def _row(token_id: int, key: str) -> IdempotentRequest | None:
    return db.session.execute(select(IdempotentRequest).where(
        IdempotentRequest.token_id == token_id, IdempotentRequest.key == key)
    ).scalar_one_or_none()


def _replay(row: IdempotentRequest) -> Response:
    response = Response(row.body, status=row.status)
    response.headers.clear()
    response.headers.update(row.headers or {})
    response.headers[REPLAYED] = "true"
    response.vary.add("Accept-Language")
    return response


def _existing(token_id: int, key: str, print_: str) -> Response | None:
    """The answer to a call whose key is taken; None when the row went away meanwhile (its
    call released the key, or it expired) so that the caller may claim it again."""
    row = _row(token_id, key)
    now = utcnow()
    if row is not None and (row.created_at <= now - TTL or (
            row.status == IN_PROGRESS and row.created_at <= now - ABANDONED_AFTER)):
        db.session.delete(row)
        commit_uncounted()
        row = None
    if row is None:
        return None
    if row.fingerprint != print_:
        raise Problem(422, _("The Idempotency-Key was used for another request"),
                      _("Use a new Idempotency-Key for a new request."),
                      type_="idempotency-key-reused")
    if row.status == IN_PROGRESS:
        raise Problem(409, _("The same request is still running"),
                      _("Send it again in a moment with the same Idempotency-Key."),
                      type_="idempotency-key-in-use", headers={"Retry-After": "1"})
    return _replay(row)


def _kept(response: Response) -> bool:
    if 200 <= response.status_code < 300:
        return True
    if response.mimetype != MEDIA_TYPE:
        return False
    try:
        kind = str(json.loads(response.get_data(as_text=True)).get("type", ""))
    except ValueError:
        return False
    return kind.endswith(KEPT_TYPES)


def _kept_body(response: Response, shown_once: tuple[str, ...]) -> str:
    """The answer's body as kept: members shown once (a secret) become null."""
    text = response.get_data(as_text=True)
    if not shown_once or not text:
        return text
    body = json.loads(text)
    body.update({name: None for name in shown_once if name in body})
    return json.dumps(body, ensure_ascii=False)


def _settle(token_id: int, key: str, response: Response, shown_once: tuple[str, ...] = ()
            ) -> None:
    """Keep the answer in the key's row, or release the key (see the module's docstring)."""
    db.session.rollback()  # whatever the call left open; its own work is committed or gone
    where = (_table.c.token_id == token_id) & (_table.c.key == key)
    if _kept(response):
        headers = {name: response.headers[name] for name in KEPT_HEADERS
                   if name in response.headers}
        db.session.execute(update(_table).where(where).values(
            status=response.status_code, headers=headers,
            body=_kept_body(response, shown_once)))
        db.session.commit()
    else:  # released: bookkeeping only, so a view that lost a lock race may still run again
        db.session.execute(delete(_table).where(where))
        commit_uncounted()


def _run(call: Callable[[], Response]) -> Response:
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - answered here so that the answer can be kept
        return problem_for(exc)  # re-raises what is not a problem of ours


def idempotent_call(op: Operation, call: Callable[[], Response]) -> Response:
    """The ``AROUND`` hook: a POST with an Idempotency-Key runs at most once per token and key."""
    key = request.headers.get(HEADER)
    if op.method != "POST" or key is None or op.public or op.read_only:
        return call()
    if not KEY.fullmatch(key):
        raise Problem(400, _("Bad request"),
                      _("The Idempotency-Key must be 1 to 255 visible ASCII characters."))
    token_id = current_token().id
    print_ = fingerprint()
    for _attempt in range(2):
        if _claim(token_id, key, print_):
            break
        answer = _existing(token_id, key, print_)
        if answer is not None:
            return answer
    else:
        raise Problem(409, _("The same request is still running"),
                      _("Send it again in a moment with the same Idempotency-Key."),
                      type_="idempotency-key-in-use", headers={"Retry-After": "1"})
    try:
        response = _run(call)
    except BaseException:
        _settle(token_id, key, Response(status=500))
        raise
    _settle(token_id, key, response, op.shown_once)
    return response


@register_rule("api_idempotency_keys", order=95)
def purge_expired(*, now: datetime) -> int:
    """Part of the minute sweep: forget the answers of keys older than ``TTL``."""
    result = db.session.execute(delete(_table).where(_table.c.created_at < now - TTL))
    return int(result.rowcount or 0)


if idempotent_call not in AROUND:
    AROUND.append(idempotent_call)
