"""The Kazakh individual identification number (IIN, ИИН / ЖСН): 12 digits.

Digits 1-6 are the date of birth (YYMMDD); digit 7 gives century and sex (1/2: 1800s, 3/4: 1900s,
5/6: 2000s; odd male, even female); 8-11 a serial; 12 a check digit computed in up to two passes.
``iin_problem`` names each kind of mistake with its own message so the user knows what to fix.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

_WEIGHTS_1 = tuple(range(1, 12))
_WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
_CENTURY = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}
# "Today" for a birth date is Kazakhstan's date (one zone, UTC+5, since 1 March 2024): a child
# born after midnight there has an IIN dated a day ahead of UTC.
_KAZAKHSTAN = "Asia/Almaty"


class IINMistake(enum.StrEnum):
    LENGTH = "length"
    NOT_DIGITS = "not_digits"
    CENTURY = "century"
    DATE = "date"
    FUTURE_DATE = "future_date"
    NEVER_ISSUED = "never_issued"
    CHECK_DIGIT = "check_digit"
    BIRTH_DATE_MISMATCH = "birth_date_mismatch"
    SEX_MISMATCH = "sex_mismatch"


@dataclass(frozen=True)
class IINInfo:
    birth_date: date
    sex: str  # "male" | "female"


class IINError(ValueError):
    def __init__(self, mistake: IINMistake) -> None:
        super().__init__(mistake.value)
        self.mistake = mistake

    @property
    def message(self) -> str:
        return mistake_message(self.mistake)


def mistake_message(mistake: IINMistake) -> str:
    messages = {
        IINMistake.LENGTH: _("An IIN has exactly 12 digits. Check that no digit is missing."),
        IINMistake.NOT_DIGITS: _("An IIN contains digits only. Remove letters, spaces or signs."),
        IINMistake.CENTURY: _(
            "The 7th digit of an IIN must be 1 to 6 (century and sex). Check the 7th digit."
        ),
        IINMistake.DATE: _(
            "The first 6 digits of an IIN are the date of birth (YYMMDD) and do not form a real "
            "date here. Check the first 6 digits."
        ),
        IINMistake.FUTURE_DATE: _(
            "The first 6 digits of an IIN are the date of birth (YYMMDD) and give a date in "
            "the future here. Check the first 6 digits and the 7th (the century)."
        ),
        IINMistake.NEVER_ISSUED: _(
            "This number cannot be an IIN (no check digit exists for it). Check every digit."
        ),
        IINMistake.CHECK_DIGIT: _(
            "The last digit of the IIN does not match the others, so one digit is probably "
            "mistyped. Check the number against the document."
        ),
        IINMistake.BIRTH_DATE_MISMATCH: _(
            "The IIN gives a different date of birth from the one entered. Correct the IIN or "
            "the date of birth."
        ),
        IINMistake.SEX_MISMATCH: _(
            "The IIN belongs to a person of the other sex than the one entered. Correct the IIN "
            "or the sex."
        ),
    }
    return messages[mistake]


def check_digit(first_eleven: str) -> int | None:
    """The 12th digit for 11 digits, or None when both passes give 10 (never issued)."""
    digits = [int(c) for c in first_eleven]
    c = sum(d * w for d, w in zip(digits, _WEIGHTS_1, strict=True)) % 11
    if c == 10:
        c = sum(d * w for d, w in zip(digits, _WEIGHTS_2, strict=True)) % 11
        if c == 10:
            return None
    return c


def kazakhstan_today() -> date:
    """Today's date in Kazakhstan."""
    return datetime.now(ZoneInfo(_KAZAKHSTAN)).date()


# What people type between groups of digits ("900115 399904", "900115-399904"); anything else
# is left for ``parse_iin`` to name as a mistake.
_SEPARATORS = str.maketrans("", "", " \t\n\r\u00a0\u202f-.")


def normalise_iin(value: str | None) -> str:
    """The IIN as stored and compared: the typed value without spaces, hyphens or dots.

    A valid IIN is then exactly 12 ASCII digits, so one person's number is one string
    whichever way it was typed (the unique index on ``people.iin`` relies on it).
    """
    return (value or "").translate(_SEPARATORS)


def parse_iin(value: str, *, today: date | None = None) -> IINInfo:
    """Return what the IIN says (birth date, sex), or raise IINError naming the mistake.

    ``today`` (Kazakhstan's date by default) bounds the birth date: no one is born later.
    """
    if not value.isascii() or not value.isdigit():
        raise IINError(IINMistake.NOT_DIGITS if value else IINMistake.LENGTH)
    if len(value) != 12:
        raise IINError(IINMistake.LENGTH)
    century_digit = int(value[6])
    if century_digit not in _CENTURY:
        raise IINError(IINMistake.CENTURY)
    try:
        born = date(_CENTURY[century_digit] + int(value[0:2]), int(value[2:4]), int(value[4:6]))
    except ValueError:
        raise IINError(IINMistake.DATE) from None
    if born > (today or kazakhstan_today()):
        raise IINError(IINMistake.FUTURE_DATE)
    expected = check_digit(value[:11])
    if expected is None:
        raise IINError(IINMistake.NEVER_ISSUED)
    if expected != int(value[11]):
        raise IINError(IINMistake.CHECK_DIGIT)
    return IINInfo(birth_date=born, sex="male" if century_digit % 2 else "female")


def validate_iin(value: str, *, birth_date: date | None = None, sex: str | None = None,
                 today: date | None = None) -> IINInfo:
    """Check the IIN itself, then its agreement with a date of birth and sex entered beside it."""
    info = parse_iin(value, today=today)
    if birth_date is not None and birth_date != info.birth_date:
        raise IINError(IINMistake.BIRTH_DATE_MISMATCH)
    if sex in ("male", "female") and sex != info.sex:
        raise IINError(IINMistake.SEX_MISMATCH)
    return info


def iin_problem(
    value: str, *, birth_date: date | None = None, sex: str | None = None
) -> str | None:
    """The translated message for what is wrong with the IIN, or None if it is valid."""
    try:
        validate_iin(value, birth_date=birth_date, sex=sex)
    except IINError as err:
        return err.message
    return None


def build_iin(born: date, sex: str, serial: int) -> str | None:
    """A synthetic IIN with a correct check digit (tests and demo data), or None if impossible."""
    base = (born.year // 100) * 100
    century = {1800: 1, 1900: 3, 2000: 5}[base] + (0 if sex == "male" else 1)
    first = f"{born:%y%m%d}{century}{serial:04d}"
    digit = check_digit(first)
    return None if digit is None else f"{first}{digit}"
