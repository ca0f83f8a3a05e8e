"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import gettext as _

_DEFAULT = PasswordHasher()  # argon2id with the library's recommended parameters (RFC 9106)


@lru_cache(maxsize=4)
def _hasher_for(time_cost: int | None, memory_kib: int | None) -> PasswordHasher:
    if time_cost is None and memory_kib is None:
        return _DEFAULT
    return PasswordHasher(time_cost=time_cost or _DEFAULT.time_cost,
                          memory_cost=memory_kib or _DEFAULT.memory_cost,
                          parallelism=1 if memory_kib else _DEFAULT.parallelism)


def _hasher() -> PasswordHasher:
    """argon2id; the cost comes from ARGON2_TIME_COST / ARGON2_MEMORY_KIB (tests lower it)."""
    if not has_app_context():
        return _DEFAULT
    cfg = current_app.config
    return _hasher_for(cfg.get("ARGON2_TIME_COST"), cfg.get("ARGON2_MEMORY_KIB"))


@lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Checked for unknown accounts: a missing account costs the same as a wrong password."""
    return hasher.hash("not-a-real-password-used-for-timing")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check exactly as typed; an absent hash still spends the time of a real check."""
    hasher = _hasher()
    try:
        return hasher.verify(password_hash or _dummy_hash(hasher), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("referral").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def password_problems(password: str, *, email: str = "") -> list[str]:
    """Messages, in the user's language, for each rule the password breaks (empty when fine)."""
    cfg = current_app.config
    problems = []
    if len(password) < cfg["PASSWORD_MIN_LENGTH"]:
        problems.append(
            _("Use at least %(n)d characters.", n=cfg["PASSWORD_MIN_LENGTH"])
        )
    if len(password) > cfg["PASSWORD_MAX_LENGTH"]:
        problems.append(_("Use at most %(n)d characters.", n=cfg["PASSWORD_MAX_LENGTH"]))
    lowered = password.lower()
    if lowered in common_passwords():
        problems.append(_("This password is too common. Choose one that is hard to guess."))
    elif email and lowered == email.lower():
        problems.append(_("Do not use your e-mail address as your password."))
    return problems
