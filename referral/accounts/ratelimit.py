"""Rate limits on the login and password-reset forms, by client address and by account.

Flask-Limiter counts in Redis when ``REDIS_URL`` is set (every web process shares the counts),
else in this process's memory. Login limits count failed attempts only (a 401): an office of
colleagues behind one address logging in each morning spends nothing. The per-account limit
is the account's global slow-down; it is set well above what one address can spend before its
(account, address) pair locks (``throttle``), so a guesser from one place cannot lock the owner
out from theirs. A breach answers 429 with ``Retry-After`` and a translated page.

Keys are HMACs (never an address or e-mail in the store); the client address is
``request.remote_addr``, which ProxyFix rewrites only for the configured number of trusted
proxies (``TRUSTED_PROXIES``, 0 = none: X-Forwarded-For is ignored).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask, current_app, make_response, render_template, request
from flask_limiter import Limiter, RateLimitExceeded
from limits import parse_many
from werkzeug.wrappers import Response

from referral.accounts.throttle import normalise_email
from referral.config import ConfigurationError
from referral.models_base import utcnow

ACCOUNT_LOGIN_SCOPE = "login-account"
LIMIT_SETTINGS = ("LOGIN_LIMIT_PER_ADDRESS", "LOGIN_LIMIT_PER_ACCOUNT",
                  "PASSWORD_RESET_LIMIT_PER_ADDRESS", "PASSWORD_RESET_LIMIT_PER_ACCOUNT")


def _digest(kind: str, value: str) -> str:
    cfg = current_app.config
    key = f"{cfg['SECRET_KEY']}:{cfg.get('RATELIMIT_NAMESPACE', '')}".encode()
    mac = hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{cfg.get('RATELIMIT_NAMESPACE', '')}{kind}:{mac}"


def client_address() -> str:
    """The client's address as the trusted proxy chain reported it (see module doc)."""
    return request.remote_addr or ""


def address_key() -> str:
    return _digest("addr", client_address())


def _account_key_of(email: str) -> str:
    return _digest("acct", normalise_email(email))


def account_key() -> str:
    """The e-mail typed in the form, known account or not (both are counted alike)."""
    return _account_key_of(request.form.get("email", ""))


limiter = Limiter(
    key_func=address_key,
    strategy="moving-window",
    headers_enabled=False,  # Retry-After is set on the 429 alone (``_too_many``)
    swallow_errors=True,  # a Redis outage must not stop anyone logging in
    in_memory_fallback_enabled=True,
)


def _setting(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def _failed(response: Response) -> bool:
    """A password was checked and was wrong."""
    return response.status_code == 401


def _failed_or_locked(response: Response) -> bool:
    """Also an attempt at a locked (account, address) pair: an address hammering its lock is
    stopped too, but such attempts never count against the account (that would let one address
    slow its owner down)."""
    return response.status_code in (401, 429)


def login_limits(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate the login view: failed POSTs counted per address and per account."""
    view = limiter.shared_limit(_setting("LOGIN_LIMIT_PER_ACCOUNT"), ACCOUNT_LOGIN_SCOPE,
                                key_func=account_key, methods=["POST"], deduct_when=_failed)(view)
    return limiter.limit(_setting("LOGIN_LIMIT_PER_ADDRESS"), key_func=address_key,
                         methods=["POST"], deduct_when=_failed_or_locked)(view)


def reset_request_limits(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate the password-reset request view: every POST counted per address and account."""
    view = limiter.limit(_setting("PASSWORD_RESET_LIMIT_PER_ACCOUNT"), key_func=account_key,
                         methods=["POST"], scope="account")(view)
    return limiter.limit(_setting("PASSWORD_RESET_LIMIT_PER_ADDRESS"), key_func=address_key,
                         methods=["POST"], scope="address")(view)


def clear_account_login_limit(email: str) -> None:
    """A password reset lifts the account's global slow-down too (as it lifts its locks)."""
    key = _account_key_of(email)
    for item in parse_many(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]):
        try:
            limiter.limiter.clear(item, key, ACCOUNT_LOGIN_SCOPE)
        except Exception:  # noqa: BLE001 - the store is down: the count expires on its own
            current_app.logger.warning("could not clear an account's login rate limit")


def retry_after_seconds(until: datetime) -> int:
    return max(1, math.ceil((until - utcnow()).total_seconds()))


def too_many(page: str, seconds: int) -> Response:
    """A 429 answer with ``Retry-After``."""
    response = make_response(page, 429)
    response.headers["Retry-After"] = str(seconds)
    return response


def refused_login(page: str, locked_until: datetime | None) -> Response:
    """The login form again: 401, or 429 with ``Retry-After`` while the pair is locked."""
    if locked_until is None:
        return make_response(page, 401)
    return too_many(page, retry_after_seconds(locked_until))


def _too_many(exc: RateLimitExceeded) -> Response:
    current = limiter.current_limit
    seconds = 60
    if current is not None:
        try:
            seconds = max(1, math.ceil(current.reset_at - time.time()))
        except Exception:  # noqa: BLE001 - store unreachable: a minute is a fair guess
            seconds = 60
    minutes = max(1, math.ceil(seconds / 60))
    return too_many(render_template("errors/429.html", minutes=minutes), seconds)


def init_rate_limits(app: Flask) -> None:
    """Storage: Redis when REDIS_URL is set, else memory (one process's counts)."""
    cfg = app.config
    if not cfg.get("RATELIMIT_STORAGE_URI"):
        cfg["RATELIMIT_STORAGE_URI"] = cfg.get("REDIS_URL") or "memory://"
    if cfg.get("TESTING") and "RATELIMIT_NAMESPACE" not in cfg:
        # Each test app counts apart, even when the suite's apps share one Redis database.
        cfg["RATELIMIT_NAMESPACE"] = f"t{uuid.uuid4().hex[:12]}:"
    for name in LIMIT_SETTINGS:
        try:
            parse_many(cfg[name])
        except ValueError as exc:  # a typo must stop the start, not every login
            raise ConfigurationError(f"{name}: not a rate limit ({cfg[name]!r}), e.g. "
                                     "'20 per minute;100 per hour'") from exc
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _too_many)
