"""The types a setting may have: each parses the environment's text and checks a value given
in Python, and says in words what it expects (for the error and the settings reference)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from referral.errors import ConfigurationError


class SettingError(ConfigurationError):
    """A setting's value cannot be used: the message names the variable."""


# --- types -------------------------------------------------------------------------------------


class Kind:
    """A type of setting: ``parse`` reads the variable's text (ValueError when it is not of the
    type), ``accepts`` checks a value set in Python (a config class, create_app's mapping)."""

    expects = "a value"
    parse: Any
    accepts: Any


@dataclass(frozen=True)
class Integer(Kind):
    minimum: int | None = None
    maximum: int | None = None

    @property
    def expects(self) -> str:  # type: ignore[override]
        low = "" if self.minimum is None else f" from {self.minimum}"
        high = "" if self.maximum is None else f" to {self.maximum}"
        return f"a whole number{low}{high}"

    def parse(self, raw: str) -> int:
        value = int(raw.strip())
        if not self.accepts(value):
            raise ValueError(raw)
        return value

    def accepts(self, value: Any) -> bool:
        return (isinstance(value, int) and not isinstance(value, bool)
                and (self.minimum is None or value >= self.minimum)
                and (self.maximum is None or value <= self.maximum))


@dataclass(frozen=True)
class Number(Kind):
    minimum: float = 0.0
    expects = "a number"

    def parse(self, raw: str) -> float:
        value = float(raw.strip())
        if not self.accepts(value) or value != value:  # NaN
            raise ValueError(raw)
        return value

    def accepts(self, value: Any) -> bool:
        return (isinstance(value, int | float) and not isinstance(value, bool)
                and value >= self.minimum)


TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")


@dataclass(frozen=True)
class Boolean(Kind):
    expects = "true, false, 1, 0, yes or no"

    def parse(self, raw: str) -> bool:
        word = raw.strip().lower()
        if word in TRUE:
            return True
        if word in FALSE:
            return False
        raise ValueError(raw)

    def accepts(self, value: Any) -> bool:
        return isinstance(value, bool)


@dataclass(frozen=True)
class Duration(Kind):
    """A timedelta, written as a whole number of ``unit`` seconds (seconds unless said)."""

    unit: int = 1
    minimum: int = 0

    @property
    def expects(self) -> str:  # type: ignore[override]
        name = {1: "seconds", 60: "minutes", 3600: "hours"}.get(self.unit, f"× {self.unit} s")
        return f"a whole number of {name}, at least {self.minimum}"

    def parse(self, raw: str) -> timedelta:
        count = int(raw.strip())
        if count < self.minimum:
            raise ValueError(raw)
        return timedelta(seconds=count * self.unit)

    def accepts(self, value: Any) -> bool:
        # A value set in Python (tests shorten timeouts to a second) needs only the right type.
        return isinstance(value, timedelta) and value >= timedelta(0)


@dataclass(frozen=True)
class Url(Kind):
    schemes: tuple[str, ...]
    empty: bool = False  # "" allowed (a default filled in later)

    @property
    def expects(self) -> str:  # type: ignore[override]
        return "a URL starting with " + " or ".join(f"{s}://" for s in self.schemes)

    def parse(self, raw: str) -> str:
        if not self.accepts(raw.strip()):
            raise ValueError(raw)
        return raw.strip()

    def accepts(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        if value == "":
            return self.empty
        parts = urlsplit(value)
        return parts.scheme in self.schemes and (bool(parts.netloc) or parts.scheme == "sqlite"
                                                 or parts.scheme.startswith("sqla+"))


@dataclass(frozen=True)
class Choice(Kind):
    values: tuple[str, ...]

    @property
    def expects(self) -> str:  # type: ignore[override]
        return "one of " + ", ".join(self.values)

    def parse(self, raw: str) -> str:
        if raw.strip() not in self.values:
            raise ValueError(raw)
        return raw.strip()

    def accepts(self, value: Any) -> bool:
        return value in self.values


@dataclass(frozen=True)
class Text(Kind):
    expects = "text"

    def parse(self, raw: str) -> str:
        return raw

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str)


@dataclass(frozen=True)
class IntList(Kind):
    """Whole numbers separated by commas, e.g. ``3,1``; a tuple."""
    expects = "whole numbers separated by commas"

    def parse(self, raw: str) -> tuple[int, ...]:
        return tuple(int(part) for part in raw.split(",") if part.strip())

    def accepts(self, value: Any) -> bool:
        return isinstance(value, list | tuple) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value)


@dataclass(frozen=True)
class Zone(Kind):
    expects = "a time zone name such as Asia/Almaty"

    def parse(self, raw: str) -> str:
        if not self.accepts(raw.strip()):
            raise ValueError(raw)
        return raw.strip()

    def accepts(self, value: Any) -> bool:
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(str(value))
        except (ValueError, KeyError, OSError):
            return False
        return isinstance(value, str)


@dataclass(frozen=True)
class HoursByName(Kind):
    """A JSON object of names to hours, e.g. ``{"emergency": 2}``; timedeltas."""
    names: tuple[str, ...]
    expects = "a JSON object of hours"

    def parse(self, raw: str) -> dict[str, timedelta]:
        data = json.loads(raw)
        if not isinstance(data, dict) or not self.accepts(data):
            raise ValueError(raw)
        return {k: timedelta(hours=v) for k, v in data.items()}

    def accepts(self, value: Any) -> bool:
        return isinstance(value, Mapping) and set(value) <= set(self.names) and all(
            isinstance(v, timedelta) or (isinstance(v, int | float) and not isinstance(v, bool)
                                         and v > 0) for v in value.values())


@dataclass(frozen=True)
class MonthsByName(Kind):
    """A JSON object of names to whole months, e.g. ``{"notes": 60}`` (retention periods)."""
    expects = "a JSON object of whole numbers of months"

    def parse(self, raw: str) -> dict[str, int]:
        data = json.loads(raw)
        if not self.accepts(data):
            raise ValueError(raw)
        return data

    def accepts(self, value: Any) -> bool:
        return isinstance(value, Mapping) and all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 1
            for k, v in value.items())


# --- the table ---------------------------------------------------------------------------------
