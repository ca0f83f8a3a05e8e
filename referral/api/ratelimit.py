"""Per-token rate limits: REFERRAL_API_RATE_LIMIT calls per token, then 429 with Retry-After.

Counted with the ``limits`` library (what Flask-Limiter counts with, referral/accounts/ratelimit.py)
in the same store: Redis when REDIS_URL is set (every web process shares the counts), else this
process's memory. Keys are token ids (never the secret). A store outage lets calls through, as
the login limits do: an integration must not stop because Redis restarts.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from flask import Flask, Response, current_app
from flask_babel import gettext as _
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from referral.api.auth import current_token
from referral.api.problems import Problem
from referral.api.spec import AROUND, Operation
from referral.config import ConfigurationError

_EXTENSION = "api_rate_limit"


def _limiter(app: Flask) -> tuple[FixedWindowRateLimiter, list[RateLimitItem]]:
    """The app's limiter and limits, made once per app (the setting is checked then)."""
    found = app.extensions.get(_EXTENSION)
    if found is None or found[2] != app.config["API_RATE_LIMIT"]:
        raw = app.config["API_RATE_LIMIT"]
        try:
            items = parse_many(raw)
        except ValueError as exc:
            raise ConfigurationError(f"API_RATE_LIMIT: not a rate limit ({raw!r}), e.g. "
                                     "'600/minute'") from exc
        uri = app.config.get("RATELIMIT_STORAGE_URI") or app.config.get("REDIS_URL") or "memory://"
        found = (FixedWindowRateLimiter(storage_from_string(uri)), items, raw)
        app.extensions[_EXTENSION] = found
    return found[0], found[1]


def _key(token_id: int) -> str:
    return f"{current_app.config.get('RATELIMIT_NAMESPACE', '')}api-token:{token_id}"


def retry_after(limiter: FixedWindowRateLimiter, item: RateLimitItem, key: str) -> int:
    """Seconds until the window of ``item`` resets (at least one)."""
    reset_at = limiter.get_window_stats(item, key).reset_time
    return max(1, math.ceil(reset_at - time.time()))


def check_token_rate(token_id: int) -> None:
    """Count one call of the token; raise a 429 problem when a limit is spent."""
    limiter, items = _limiter(current_app._get_current_object())  # type: ignore[attr-defined]
    key = _key(token_id)
    try:
        for item in items:
            if not limiter.hit(item, key):
                seconds = retry_after(limiter, item, key)
                raise Problem(429, _("Too many requests"),
                              _("This token has made too many calls. Try again in %(seconds)d "
                                "seconds.", seconds=seconds),
                              headers={"Retry-After": str(seconds)})
    except Problem:
        raise
    except Exception:  # noqa: BLE001 - the store is down: let the call through
        current_app.logger.warning("API rate limit store unreachable; call not counted")


def limit_calls(op: Operation, call: Callable[[], Response]) -> Response:
    """The ``AROUND`` hook: every authenticated call counts against its token."""
    if not op.public:
        check_token_rate(current_token().id)
    return call()


def install() -> None:
    """Counted first, before any other hook (a replayed idempotent call counts too)."""
    if limit_calls not in AROUND:
        AROUND.insert(0, limit_calls)


install()
