"""The offences reference table (issue 19 §2): kind per article part, dates in force, sources,
the corrected titles and the added articles."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from referral.access.scope import acting_as, system_actor
from referral.cases import incidents, offences
from referral.errors import DomainError
from tests.cases import factories as f
from tests.fixtures import actor

ADILET = "https://adilet.zan.kz/"


@pytest.fixture
def police(world):
    return actor(world["officer"])


@pytest.mark.parametrize("article, part, kind", [
    ("109-1", "", "criminal_misdemeanour"),  # battery: arrest up to 50 days at most
    ("108-1", "1", "criminal_misdemeanour"),
    ("108-1", "2", "crime"),
    ("108-1", "", ""),  # part not yet determined: the kind depends on it
    ("115", "1", "criminal_misdemeanour"),
    ("115", "2", "crime"),
    ("115-1", "", "criminal_misdemeanour"),
    ("106", "", "crime"),
    ("73", "", "administrative"),
])
def test_kind_is_per_article_part(ctx, article, part, kind):
    assert f.offence(article).kind_of(part) == kind


def test_corrected_titles_and_added_articles_with_sources(ctx):
    assert f.offence("126").title_kk == "Бас бостандығынан заңсыз айыру"
    assert f.offence("110").title_en.startswith("Torment") and "Torture" not in (
        f.offence("110").title_en)
    murder, suicide = f.offence("99"), f.offence("105")
    assert (murder.title_en, murder.title_ru, murder.kind) == ("Murder", "Убийство", "crime")
    assert (suicide.title_ru, suicide.title_kk) == ("Доведение до самоубийства",
                                                     "Өзін-өзі өлтіруге дейін жеткізу")
    data = json.loads(offences.OFFENCES_FILE.read_text(encoding="utf-8"))["offences"]
    shipped = {row["article"] for row in data}
    rows = [o for o in offences.list_offences() if o.article in shipped]
    assert len(rows) == len(data) and all(o.source.startswith(ADILET) for o in rows)
    assert all(row["source"].startswith(ADILET) and row["source_note"] for row in data)
    assert {o.gbv_type for o in rows if o.article in ("120", "121", "125-1")} == {
        "rape", "sexual_assault", "forced_marriage"}


def test_historic_articles_have_both_dates(ctx):
    for article in ("73-1", "73-2"):
        offence = f.offence(article)
        assert offence.valid_from is not None and offence.valid_until == date(2024, 6, 15)
        assert not offence.valid_on(offence.valid_from.replace(day=1).replace(year=2016))


def test_the_articles_in_force_on_the_incident_date_are_offered(ctx):
    before = {o.article for o in offences.list_offences(date(2024, 6, 15))}
    after = {o.article for o in offences.list_offences(date(2024, 6, 16))}
    assert {"73-1", "73-2"} <= before and not {"108-1", "109-1"} & before
    assert {"108-1", "109-1"} <= after and not {"73-1", "73-2"} & after
    listed = [o.article for o in offences.list_offences(date(2026, 1, 1))]
    assert listed.index("99") < listed.index("105") < listed.index("108-1") < listed.index(
        "109-1") < listed.index("115") < listed.index("115-1") < listed.index("120")
    assert [(p.part, p.kind) for p in f.offence("108-1").parts] == [
        ("1", "criminal_misdemeanour"), ("2", "crime")]


def test_an_incident_is_classified_by_the_articles_of_its_date(police):
    case, _m = f.family_case(police)
    june_14 = datetime(2024, 6, 14, 12, tzinfo=UTC)
    june_17 = datetime(2024, 6, 17, 12, tzinfo=UTC)
    old = incidents.record_incident(police, case.id, f.incident_input(
        occurred_at=june_14, offence_id=f.offence("73-2").id))
    new = incidents.record_incident(police, case.id, f.incident_input(
        occurred_at=june_17, offence_id=f.offence("108-1").id, offence_part="1"))
    assert (old.offence.article, new.offence_part, new.offence.kind_of(new.offence_part)) == (
        "73-2", "1", "criminal_misdemeanour")
    with pytest.raises(DomainError) as err:  # a part the article does not have
        incidents.record_incident(police, case.id, f.incident_input(
            occurred_at=june_17, offence_id=f.offence("108-1").id, offence_part="7"))
    assert err.value.field == "offence_id"
    for when, article in ((june_17, "73-2"), (june_14, "109-1"),
                          (datetime(2016, 5, 1, tzinfo=UTC), "73-2")):  # before 73-2 existed
        with pytest.raises(DomainError) as err:
            incidents.record_incident(police, case.id, f.incident_input(
                occurred_at=when, offence_id=f.offence(article).id))
        assert err.value.field == "offence_id" and article in err.value.message


def test_loading_corrects_rows_that_differ_and_audits_it(ctx, world):
    with acting_as(system_actor("test")):
        row = f.offence("110")
        row.title_en, row.kind = "Torture", "criminal_misdemeanour"
        f.offence("115").parts = []
        assert offences.load_offences() == 2
        assert (row.title_en.split()[0], row.kind) == ("Torment", "crime")
        assert [p.kind for p in f.offence("115").parts] == ["criminal_misdemeanour", "crime"]
        assert offences.load_offences() == 0


def test_a_source_must_be_an_address(ctx, world):
    with acting_as(system_actor("test")), pytest.raises(DomainError) as err:
        offences.add_offence(code="criminal", article="999-8", kind="crime", title_en="T",
                             source="javascript:alert(1)")
    assert err.value.field == "source"


def test_the_reference_page_shows_parts_and_sources_and_checks_them(world, client):
    from tests.fixtures import fresh, login

    login(client, world["admin"])
    page = client.get("/cases/offences").get_data(as_text=True)
    assert "part 1: Criminal misdemeanour; part 2: Crime" in page
    assert 'href="https://adilet.zan.kz/rus/docs/K1400000226"' in page
    form = {"code": "criminal", "article": "999-7", "kind": "crime", "title_en": "Test",
            "source": "javascript:alert(1)"}
    refused = client.post("/cases/offences", data=form).get_data(as_text=True)
    assert "starting with https://" in refused
    added = client.post("/cases/offences", data={**form, "source": "https://adilet.zan.kz/x"})
    assert added.status_code == 302
    fresh()
    assert f.offence("999-7").source == "https://adilet.zan.kz/x"
