"""Statistics export: aggregate rows by hand, small-number suppression, no identifying data."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from referral.access.scope import acting_as, system_actor
from referral.audit.models import AuditEvent
from referral.cases.models import Offence
from referral.coordination.stats import export as service
from referral.errors import NotVisible
from referral.extensions import db
from tests.coordination.factories import make_case, make_incident, make_referral
from tests.fixtures import actor, make_district

MARCH = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
FEB = datetime(2026, 2, 10, 8, 0, tzinfo=UTC)


@pytest.fixture
def data(world):
    w = dict(world)
    officer, police = w["officer"], w["police"]
    center = make_district("KZ-75", "Center")
    highs = [make_case(police, officer, district=center, risk_level="high", created_at=MARCH)
             for _ in range(6)]
    for _ in range(2):
        make_case(police, officer, district=center, risk_level="standard", created_at=MARCH)
    make_case(police, officer, risk_level="medium", created_at=MARCH)
    make_case(police, officer, district=center, risk_level="standard", created_at=FEB)
    sealed = make_case(police, officer, district=center, risk_level="high", created_at=MARCH,
                       restricted=True)
    # The shipped offence table (migration 0002) has it; adding another one outlived the test
    # on PostgreSQL, where the reference tables are kept between tests.
    battery = db.session.execute(select(Offence).where(
        Offence.code == "criminal", Offence.article == "109-1")).scalars().first()
    for i in range(5):
        make_incident(highs[i], officer, occurred_at=MARCH + timedelta(hours=i), offence=battery)
    make_incident(highs[5], officer, occurred_at=MARCH, physical=False, psychological=True)
    make_incident(sealed, officer, occurred_at=MARCH, offence=battery)
    crisis = db.session.get(type(police), w["crisis"].agency_id)
    for _ in range(7):
        make_referral(highs[0], officer, crisis, sent_at=MARCH)
    for _ in range(2):
        make_referral(highs[1], officer, crisis, sent_at=MARCH, service="psychological")
    make_referral(sealed, officer, crisis, sent_at=MARCH)
    db.session.commit()
    w["highs"] = highs
    return w


EXPECTED = [
    ["cases", "KZ-75", "", "2026-03", "risk_level", "medium", "<5"],
    ["cases", "KZ-75", "Center", "2026-02", "risk_level", "standard", "<5"],
    ["cases", "KZ-75", "Center", "2026-03", "risk_level", "high", "6"],
    ["cases", "KZ-75", "Center", "2026-03", "risk_level", "standard", "<5"],
    ["incidents", "KZ-75", "Center", "2026-03", "offence_article", "criminal 109-1", "5"],
    ["incidents", "KZ-75", "Center", "2026-03", "offence_article", "none", "<5"],
    ["incidents", "KZ-75", "Center", "2026-03", "violence_type", "physical", "5"],
    ["incidents", "KZ-75", "Center", "2026-03", "violence_type", "psychological", "<5"],
    ["referrals", "KZ-75", "Center", "2026-03", "service", "psychological", "<5"],
    ["referrals", "KZ-75", "Center", "2026-03", "service", "shelter", "7"],
]


def _rows(w, fmt="csv"):
    return service.statistics_rows(actor(w["coordinator"]), start=date(2026, 1, 1),
                                   end=date(2026, 3, 31), fmt=fmt)


def test_csv_rows_by_hand_with_suppression(data):
    text = "".join(service.stream_csv(_rows(data)))
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == list(service.HEADER)
    assert parsed[1:] == EXPECTED
    for case in data["highs"]:
        assert case.reference not in text
    assert "Test User" not in text and "Police A" not in text


def test_xlsx_holds_the_same_rows(data):
    payload = b"".join(service.stream_xlsx(_rows(data, "xlsx")))
    sheet = load_workbook(io.BytesIO(payload)).active
    values = [[("" if v is None else str(v)) for v in row] for row in sheet.iter_rows(
        values_only=True)]
    assert values[0] == list(service.HEADER)
    assert values[1:] == EXPECTED
    assert sheet.cell(row=4, column=7).value == 6  # numbers stay numbers


def test_export_is_audited_and_scoped(data):
    w = data
    _rows(w)
    with acting_as(system_actor("test")):
        event = db.session.execute(select(AuditEvent).where(
            AuditEvent.action == "statistics.export")).scalar_one()
    assert event.actor_user_id == w["coordinator"].id
    assert event.details["rows"] == len(EXPECTED) and event.details["format"] == "csv"
    for who in ("officer", "admin"):
        with pytest.raises(NotVisible):
            service.statistics_rows(actor(w[who]), start=date(2026, 1, 1), end=date(2026, 3, 31))
    with pytest.raises(NotVisible):
        service.statistics_rows(actor(w["coordinator"]), start=date(2026, 1, 1),
                                end=date(2026, 3, 31), region_code="KZ-43")


def test_formula_like_names_are_neutralised():
    row = service.ExportRow("cases", "KZ-75", "=HYPERLINK(1)", "2026-03", "risk_level", "high", 9)
    assert row.cells()[2] == "'=HYPERLINK(1)"


def test_csv_lines_are_the_csv_module_lines_of_the_cells():
    names = ['North, "old" town', "=SUM(A1)", "", "Line\nbreak", "-5", "@x", " lead", "plain",
             "Tab\tinside", 'say "hi"']
    rows = [service.ExportRow("incidents", "KZ-75", name, "2026-03", "offence_article", value, n)
            for n, (name, value) in enumerate(zip(names, reversed(names), strict=True))]
    expected = io.StringIO()
    csv.writer(expected).writerows([list(service.HEADER), *(row.cells() for row in rows)])
    assert "".join(service.stream_csv(rows, block=3)) == expected.getvalue()
    assert "".join(service.stream_csv([])) == expected.getvalue().splitlines(keepends=True)[0]


def test_incidents_and_referrals_count_where_their_case_is_now(world):
    """Counted by the copy of the case's place they carry: an incident of a case opened in an
    earlier year counts in its period, a case that moved district takes its rows along, and a
    restricted case stays out even for a coordinator named on it."""
    w = world
    officer, police = w["officer"], w["police"]
    west, east = make_district("KZ-75", "West"), make_district("KZ-75", "East")
    old = make_case(police, officer, district=west, created_at=datetime(2024, 5, 1, tzinfo=UTC))
    make_incident(old, officer, occurred_at=MARCH, sexual=True)
    crisis = db.session.get(type(police), w["crisis"].agency_id)
    make_referral(old, officer, crisis, sent_at=MARCH)
    sealed = make_case(police, officer, district=east, restricted=True,
                       members=(w["coordinator"],))
    make_incident(sealed, officer, occurred_at=MARCH)
    make_referral(sealed, officer, crisis, sent_at=MARCH)
    old.district_id = east.id
    db.session.commit()
    assert [(r.measure, r.district, r.dimension, r.value, r.count) for r in _rows(w)] == [
        ("incidents", "East", "offence_article", "none", 1),
        ("incidents", "East", "violence_type", "physical", 1),
        ("incidents", "East", "violence_type", "sexual", 1),
        ("referrals", "East", "service", "shelter", 1),
    ]
