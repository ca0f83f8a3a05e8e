"""The directory of a region loads from one file, and a changed copy updates it (issue 21)."""

from __future__ import annotations

from sqlalchemy import func, select

from referral.access.scope import acting_as, system_actor
from referral.agencies.models import Agency, AgencyService, District
from referral.extensions import db
from referral.web.transaction import run_action
from tests.fixtures import fresh
from tests.imports.helpers import commit, dry, outcomes, package_bytes, sample, workbook_bytes


def _count(model: type) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_region_loads_from_one_workbook_and_a_changed_copy_updates_it(ctx, world):
    before = {m: _count(m) for m in (Agency, District, AgencyService)}
    data = sample(users=None)
    report = commit(workbook_bytes(data))
    assert not report.has_errors, report
    assert report.counts["create"] == 2 + 2 + 1 + 3
    fresh()
    crisis = db.session.execute(select(Agency).where(Agency.external_id == "org-crisis-1")
                                ).scalar_one()
    assert crisis.type == "crisis_center" and crisis.shelter_places == 12 and crisis.is_24_7
    assert crisis.address == "Abay avenue 10, Almaty, 050000"
    assert crisis.district.external_id == "kz75-medeu" and crisis.district.name_ru
    assert sorted(crisis.service_codes) == ["psychological", "shelter"]

    changed = sample(users=None)
    changed["organizations"][0]["x_shelter_places"] = "20"
    changed["districts"][1]["is_remote"] = "false"
    changed["services"][1]["status"] = "inactive"
    changed["locations"][0]["address_1"] = "Abay avenue 12"
    changed["services"].append({"id": "svc-legal-psy", "organization_id": "org-legal-1",
                                "x_service_code": "psychological", "status": "active"})
    report = commit(workbook_bytes(changed))
    assert not report.has_errors
    assert outcomes(report, "organizations") == [("org-crisis-1", "update"),
                                                 ("org-legal-1", "unchanged")]
    assert outcomes(report, "locations") == [("loc-crisis-1", "update")]
    assert outcomes(report, "districts") == [("kz75-medeu", "unchanged"),
                                             ("kz75-nauryzbay", "update")]
    assert outcomes(report, "services") == [
        ("svc-crisis-shelter", "unchanged"), ("svc-crisis-psy", "update"),
        ("svc-legal", "unchanged"), ("svc-legal-psy", "create")]
    fresh()
    after = {m: _count(m) for m in (Agency, District, AgencyService)}
    assert after[Agency] == before[Agency] + 2  # no duplicates
    assert after[District] == before[District] + 2
    crisis = db.session.execute(select(Agency).where(Agency.external_id == "org-crisis-1")
                                ).scalar_one()
    assert crisis.shelter_places == 20 and crisis.service_codes == ["shelter"]
    assert crisis.address == "Abay avenue 12, Almaty, 050000"

    again = dry(package_bytes(changed))  # the same data as CSV files: nothing left to do
    assert set(again.counts) and again.counts["create"] == again.counts["update"] == 0


def test_an_edit_by_hand_keeps_the_imported_service_ids(ctx, world):
    """An administrator who edits an imported agency on its page does not cut it loose from
    its file: the next import finds its services by their ids and changes nothing."""
    from dataclasses import fields

    from referral.agencies.service import AgencyInput, update_agency
    from tests.fixtures import actor

    data = sample(users=None)
    assert not commit(workbook_bytes(data)).has_errors
    fresh()
    crisis = db.session.execute(select(Agency).where(Agency.external_id == "org-crisis-1")
                                ).scalar_one()
    values = {f.name: getattr(crisis, f.name) for f in fields(AgencyInput)
              if f.name != "services"}
    edited = AgencyInput(**{**values, "phone": "+7 727 000 0000"},
                         services=tuple(crisis.service_codes))
    with acting_as(actor(world["admin"])) as admin:
        run_action(lambda: update_agency(admin, crisis, edited, expected_version=crisis.version))
    fresh()
    again = dry(workbook_bytes(data))
    assert dict(outcomes(again, "services")) == {row["id"]: "unchanged"
                                                 for row in data["services"]}


def test_each_imported_agency_and_district_is_in_the_audit_log(ctx, world):
    """As on the pages: one row per agency and district created or changed, beside the
    import's own row with its counts."""
    from referral.audit.models import AuditEvent

    def rows() -> list[tuple[str, str]]:
        fresh()
        with acting_as(system_actor("test")):
            return list(db.session.execute(select(AuditEvent.action, AuditEvent.object_id).where(
                AuditEvent.action.in_(("agency.create", "agency.update", "district.save")))
                .order_by(AuditEvent.id)).tuples())

    data = sample(users=None)
    assert not commit(workbook_bytes(data)).has_errors
    created = rows()
    assert [a for a, _ in created].count("agency.create") == len(data["organizations"])
    assert [a for a, _ in created].count("district.save") == len(data["districts"])
    changed = sample(users=None)
    changed["organizations"][0]["x_shelter_places"] = "20"
    assert not commit(workbook_bytes(changed)).has_errors
    crisis = db.session.execute(select(Agency.id).where(Agency.external_id == "org-crisis-1")
                                ).scalar_one()
    assert rows()[len(created):] == [("agency.update", str(crisis))]
