"""Measure terms in calendar months, and measure types' titles and legal basis in ru and kk."""

from __future__ import annotations

import html
import json
import re
from datetime import date

import pytest
from flask_babel import force_locale

from referral.cases import measures
from referral.cases.terms import Term
from referral.errors import DomainError
from referral.extensions import db
from tests.cases import factories as f
from tests.fixtures import actor, login
from tests.test_i18n_catalogues import compiled_catalogues  # noqa: F401 (a fixture)

MONTHS = "months"
DAYS = "days"
CYRILLIC = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")


def _latin_words(text: str) -> list[str]:
    """Latin words left in a Russian or Kazakh text, law numbers' Roman numerals (214-IV) aside."""
    return re.findall(r"[A-Za-z]{2,}", re.sub(r"\b[IVXLC]+\b", "", text))


@pytest.mark.parametrize(("count", "unit", "start", "last"), [
    (30, DAYS, date(2026, 3, 1), date(2026, 3, 30)),
    (3, MONTHS, date(2026, 2, 1), date(2026, 4, 30)),      # the court's 1 Feb-30 Apr: 89 days
    (3, MONTHS, date(2026, 3, 1), date(2026, 5, 31)),
    (12, MONTHS, date(2026, 1, 10), date(2027, 1, 9)),
    (3, MONTHS, date(2026, 12, 15), date(2027, 3, 14)),    # across the new year
    (1, MONTHS, date(2026, 1, 31), date(2026, 2, 28)),     # no 31 Feb: February's last day
    (1, MONTHS, date(2024, 1, 31), date(2024, 2, 29)),     # the same in a leap year
    (1, MONTHS, date(2026, 3, 31), date(2026, 4, 30)),     # no 31 Apr
    (3, MONTHS, date(2025, 11, 30), date(2026, 2, 28)),
    (3, MONTHS, date(2023, 11, 30), date(2024, 2, 29)),
    (12, MONTHS, date(2024, 2, 29), date(2025, 2, 28)),    # from a leap day
    (12, MONTHS, date(2023, 3, 1), date(2024, 2, 29)),     # over a leap day
    (12, MONTHS, date(2024, 3, 1), date(2025, 2, 28)),
    (3, MONTHS, date(2024, 2, 29), date(2024, 5, 28)),
])
def test_a_term_ends_the_day_before_the_same_day_n_months_later(count, unit, start, last):
    assert Term(count, unit).last_day(start) == last


@pytest.mark.parametrize("raw", [{"weeks": 2}, {"days": 0}, {"months": 1.5},
                                 {"days": 1, "months": 1}])
def test_the_data_file_cannot_give_a_term_the_code_does_not_understand(raw):
    with pytest.raises(ValueError):
        Term.parse(raw)


@pytest.mark.usefixtures("ctx", "compiled_catalogues")
@pytest.mark.parametrize(("lang", "term", "words"), [
    ("ru", Term(1, MONTHS).at_most, "не более 1 месяца"),
    ("ru", Term(3, MONTHS).at_least, "не менее 3 месяцев"),
    ("ru", Term(21, DAYS).at_most, "не более 21 дня"),
    ("ru", Term(30, DAYS).label, "30 дней"),
    ("ru", Term(3, MONTHS).label, "3 месяца"),
    ("kk", Term(12, MONTHS).at_most, "ең көбі 12 ай"),
    ("kk", Term(30, DAYS).label, "30 күн"),
])
def test_terms_are_worded_with_the_right_case_and_number(lang, term, words):
    with force_locale(lang):
        assert term() == words


@pytest.fixture
def police(world):
    return actor(world["officer"])


def _court_order(police, case_id: int, start: date, end: date):
    return measures.issue_measure(police, case_id, measures.MeasureInput(
        measure_type="special_requirements", starts_on=start, ends_on=end,
        issuing_body="Almaly district court"))


@pytest.mark.parametrize(("start", "end"), [
    (date(2026, 2, 1), date(2026, 4, 30)),      # exactly 3 months, only 89 days
    (date(2026, 2, 1), date(2027, 1, 31)),      # exactly 12 months
    (date(2024, 2, 29), date(2025, 2, 28)),     # a year from a leap day
    (date(2023, 3, 1), date(2024, 2, 29)),      # a year over a leap day: 366 days
    (date(2025, 11, 30), date(2026, 2, 28)),    # three months to a short February
])
def test_court_special_requirements_of_3_to_12_calendar_months_are_accepted(police, start, end):
    case, _m = f.family_case(police)
    assert _court_order(police, case.id, start, end).ends_on == end


@pytest.mark.parametrize(("start", "end", "bound"), [
    (date(2026, 2, 1), date(2026, 4, 29), "2026-04-30"),   # a day short of 3 months
    (date(2026, 2, 1), date(2027, 2, 1), "2027-01-31"),    # a day past 12 months
    (date(2024, 3, 1), date(2025, 3, 1), "2025-02-28"),    # 366 days, but not in a leap year
    (date(2024, 2, 29), date(2025, 3, 1), "2025-02-28"),
])
def test_court_special_requirements_outside_3_to_12_months_are_refused(police, start, end, bound):
    case, _m = f.family_case(police)
    with pytest.raises(DomainError) as err:
        _court_order(police, case.id, start, end)
    assert err.value.field == "ends_on"
    assert bound in str(err.value)   # the message says which end date would do


@pytest.mark.usefixtures("compiled_catalogues")
@pytest.mark.parametrize(("lang", "words", "basis"), [
    ("ru", "не более 12 месяцев", "Кодекса Республики Казахстан об административных"),
    ("kk", "ең көбі 12 ай", "Әкімшілік құқық бұзушылық туралы"),
])
def test_the_refusal_is_worded_wholly_in_the_users_language(police, lang, words, basis):
    case, _m = f.family_case(police)
    with force_locale(lang), pytest.raises(DomainError) as err:
        _court_order(police, case.id, date(2026, 2, 1), date(2027, 6, 1))
    message = str(err.value)
    assert words in message and basis in message
    assert not _latin_words(message), message   # no English left in it


def _data_rows() -> list[dict]:
    return json.loads(measures.MEASURE_TYPES_FILE.read_text(encoding="utf-8"))["measure_types"]


def test_every_measure_type_has_its_title_and_legal_basis_in_russian_and_kazakh():
    """The data file's words are not extracted into the catalogues, so this is their check."""
    for row in _data_rows():
        for stem in ("title", "legal_basis"):
            english = row[f"{stem}_en"]
            for lang in ("ru", "kk"):
                text = row.get(f"{stem}_{lang}", "")
                if english:
                    assert text and CYRILLIC.search(text) and text != english, (
                        row["code"], stem, lang)
                    assert not _latin_words(text), (row["code"], stem, lang, text)


@pytest.mark.usefixtures("compiled_catalogues")
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_measure_titles_and_legal_basis_render_in_the_users_language(world, client, lang):
    police = actor(world["officer"])
    case, members = f.family_case(police)
    measures.issue_measure(police, case.id, measures.MeasureInput(
        measure_type="protective_order", starts_on=date(2026, 3, 1),
        against_participant_id=members["offender"].id))
    world["officer"].locale = lang
    db.session.commit()
    login(client, world["officer"])
    headers = {"Accept-Language": lang}
    form = html.unescape(
        client.get(f"/cases/{case.id}/measures/new", headers=headers).get_data(as_text=True))
    for row in _data_rows():
        assert row[f"title_{lang}"] in form, row["code"]
        assert row[f"legal_basis_{lang}"] in form, row["code"]
        if row["legal_basis_en"]:
            assert row["legal_basis_en"] not in form, row["code"]
    assert {"ru": "не более 12 месяцев", "kk": "ең көбі 12 ай"}[lang] in form
    page = html.unescape(client.get(f"/cases/{case.id}", headers=headers).get_data(as_text=True))
    order = next(r for r in _data_rows() if r["code"] == "protective_order")
    assert order[f"legal_basis_{lang}"] in page and order["legal_basis_en"] not in page
