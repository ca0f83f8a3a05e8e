"""Region-wide figures kept for a few minutes: agency performance, coverage, statistics export.

Each of these aggregates a region's year (about 10,000 referrals: tens of milliseconds of the
database's time). They serve planning and reporting, not
the night's work, and change little from one minute to the next. A coordinator who opens them
again, or a colleague of the same regions, gets figures computed at most
COORDINATION_FIGURES_CACHE_SECONDS ago (the page says when); 0 turns the cache off.

Why sharing them is safe: every one of these figures leaves restricted cases out for everyone,
even for a reader named on one, and over the rest a coordinator's scope is their regions. The
key holds the regions the caller was allowed (``regions_for``, which refuses others), the role,
the locale (names are localised) and every parameter. Only counts are kept, never a row of case
data; each read is still audited by the service, cached or not.

One store per application and per process, bounded (least recently used entries go first).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any, TypeVar

from flask import current_app, has_app_context
from flask_babel import get_locale

from referral.access.scope import Actor
from referral.models_base import utcnow

T = TypeVar("T")
SETTING = "COORDINATION_FIGURES_CACHE_SECONDS"
DEFAULT_SECONDS = 300
MAX_ENTRIES = 64  # a region-year export is the largest entry: a few thousand short tuples


class FiguresCache:
    """Values by key, each with the time it was computed; thread-safe, bounded."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[float, datetime, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, max_age: float, compute: Callable[[], T],
            keep: Callable[[T], bool] | None = None) -> tuple[T, datetime]:
        """The value kept for ``key`` if computed less than ``max_age`` seconds ago, else a
        new one from ``compute`` (run outside the lock: two first readers may both compute),
        kept unless ``keep`` says no."""
        now = time.monotonic()
        with self._lock:
            found = self._entries.get(key)
            if found is not None and now - found[0] < max_age:
                self._entries.move_to_end(key)
                return found[2], found[1]
        value, computed_at = compute(), utcnow()
        if keep is not None and not keep(value):
            return value, computed_at
        with self._lock:
            self._entries[key] = (now, computed_at, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value, computed_at

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _store() -> FiguresCache:
    return current_app.extensions.setdefault("coordination_figures_cache", FiguresCache())


def max_age() -> int:
    """Seconds a figure may be reused (0: never)."""
    if not has_app_context():
        return 0
    return int(current_app.config.get(SETTING, DEFAULT_SECONDS))


def figures(kind: str, actor: Actor, regions: list[str], parameters: tuple[Hashable, ...],
            compute: Callable[[], T],
            keep: Callable[[T], bool] | None = None) -> tuple[T, datetime]:
    """``compute()``'s value for these regions and parameters, kept for ``max_age()`` seconds
    (unless ``keep`` refuses it: the store is bounded in entries, not in bytes).

    ``regions`` must be what ``regions_for`` allowed the actor; returns the value and when it
    was computed."""
    seconds = max_age()
    if seconds <= 0:
        return compute(), utcnow()
    key = (kind, str(actor.role), tuple(sorted(regions)), str(get_locale()), parameters)
    return _store().get(key, seconds, compute, keep)
