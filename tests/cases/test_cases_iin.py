"""The IIN validator: checksum (both passes), real date, century/sex digit, agreement."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from referral.cases.iin import (
    IINError,
    IINMistake,
    build_iin,
    check_digit,
    iin_problem,
    mistake_message,
    parse_iin,
    validate_iin,
)

VALID = {
    "900115399904": (date(1990, 1, 15), "male"),
    "850722499909": (date(1985, 7, 22), "female"),
    "020330599901": (date(2002, 3, 30), "male"),
    "031111699901": (date(2003, 11, 11), "female"),
    "900115300401": (date(1990, 1, 15), "male"),  # valid through the second weight pass only
}


@pytest.mark.parametrize("value", sorted(VALID))
def test_the_reference_examples_are_valid(value):
    info = parse_iin(value)
    assert (info.birth_date, info.sex) == VALID[value]


@pytest.mark.parametrize("value, mistake", [
    ("900115399905", IINMistake.CHECK_DIGIT),
    ("900115301201", IINMistake.NEVER_ISSUED),
    ("90011539990", IINMistake.LENGTH),
    ("9001153999041", IINMistake.LENGTH),
    ("", IINMistake.LENGTH),
    ("90011539990A", IINMistake.NOT_DIGITS),
    ("９００１１５３９９９０４", IINMistake.NOT_DIGITS),  # full-width digits
    ("900115799904", IINMistake.CENTURY),
    ("900115099904", IINMistake.CENTURY),
    ("900230399904", IINMistake.DATE),
    ("901315399904", IINMistake.DATE),
])
def test_each_kind_of_mistake_is_named(value, mistake):
    with pytest.raises(IINError) as err:
        parse_iin(value)
    assert err.value.mistake == mistake


def test_agreement_with_the_date_of_birth_and_sex_entered(ctx):
    with pytest.raises(IINError) as err:
        validate_iin("900115399904", birth_date=date(1990, 1, 16))
    assert err.value.mistake == IINMistake.BIRTH_DATE_MISMATCH
    with pytest.raises(IINError) as err:
        validate_iin("900115399904", sex="female")
    assert err.value.mistake == IINMistake.SEX_MISMATCH
    assert iin_problem("900115399904", birth_date=date(1990, 1, 15), sex="male") is None


def test_every_mistake_has_its_own_message(ctx):
    messages = {mistake_message(m) for m in IINMistake}
    assert len(messages) == len(IINMistake)
    assert "last digit" in iin_problem("900115399905")


births = st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))  # not future
sexes = st.sampled_from(["male", "female"])
serials = st.integers(min_value=0, max_value=9999)


@given(births, sexes, serials)
def test_built_numbers_parse_back_to_their_date_and_sex(born, sex, serial):
    value = build_iin(born, sex, serial)
    assume(value is not None)
    info = validate_iin(value, birth_date=born, sex=sex)
    assert (info.birth_date, info.sex) == (born, sex)


def _first_pass(value: str) -> int:
    return sum(int(d) * w for d, w in zip(value[:11], range(1, 12), strict=True)) % 11


@given(births, sexes, serials, st.sampled_from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11]),
       st.integers(1, 9))
def test_changing_one_digit_is_caught(born, sex, serial, position, delta):
    """With the date of birth and sex entered beside it, a one-digit typo is caught when both
    numbers check in the first pass (weights 1-10 are non-zero mod 11). Not in the 11th digit:
    its first-pass weight is 11, so the algorithm cannot see it (see below)."""
    value = build_iin(born, sex, serial)
    assume(value is not None and _first_pass(value) != 10)
    digit = (int(value[position]) + delta) % 10
    changed = value[:position] + str(digit) + value[position + 1:]
    assume(_first_pass(changed) != 10)
    with pytest.raises(IINError):
        validate_iin(changed, birth_date=born, sex=sex)


def test_the_11th_digit_is_invisible_to_the_first_pass():
    value = "900115399904"
    changed = value[:10] + "1" + value[11:]
    assert _first_pass(changed) == _first_pass(value)
    assert parse_iin(changed).birth_date == date(1990, 1, 15)


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_check_digit_passes(first):
    digit = check_digit(first)
    digits = [int(c) for c in first]
    one = sum(d * w for d, w in zip(digits, range(1, 12), strict=True)) % 11
    two = sum(d * w for d, w in zip(digits, (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2), strict=True)) % 11
    if one != 10:
        assert digit == one
    elif two != 10:
        assert digit == two
    else:
        assert digit is None


@given(st.text(max_size=20))
def test_arbitrary_input_never_crashes(value):
    with contextlib.suppress(IINError):
        parse_iin(value)


def test_one_day_off_in_the_date_of_birth_is_reported(ctx):
    born = date(1985, 7, 22)
    assert iin_problem("850722499909", birth_date=born + timedelta(days=1)) is not None


def test_a_birth_date_in_the_future_is_refused():
    """310505600019 is a well-formed IIN (check digit right) of someone born on 2031-05-05."""
    assert check_digit("31050560001") == 9
    with pytest.raises(IINError) as err:
        parse_iin("310505600019", today=date(2026, 12, 5))
    assert err.value.mistake == IINMistake.FUTURE_DATE
    # The same number is valid from its birth day on (Kazakhstan's date, not the server's).
    assert parse_iin("310505600019", today=date(2031, 5, 5)).birth_date == date(2031, 5, 5)
    born_today = build_iin(date(2026, 12, 5), "female", 1)
    assert born_today and parse_iin(born_today, today=date(2026, 12, 5))
    with pytest.raises(IINError):
        parse_iin(born_today, today=date(2026, 12, 4))


@pytest.mark.parametrize("locale, words", [
    ("en", "in the future"), ("ru", "в будущем"), ("kk", "болашақ")])
def test_the_future_date_message_is_translated(app, locale, words):
    with app.test_request_context(headers={"Accept-Language": locale}):
        from flask_babel import force_locale

        with force_locale(locale):
            message = iin_problem("310505600019")
    assert words in message.lower()


def test_the_person_form_refuses_a_future_iin(world):
    from referral.cases import people
    from referral.errors import DomainError
    from tests.cases import factories as f
    from tests.fixtures import actor

    police = actor(world["officer"])
    case = f.open_case(police)
    with pytest.raises(DomainError) as err:
        people.add_participant(police, case.id, people.PersonInput(
            surname="Future", given_name="Child", iin="310505600019"),
            people.ParticipantInput(role="child"), confirmed_new=True)
    assert err.value.field == "iin" and "future" in err.value.message
