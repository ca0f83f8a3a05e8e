"""An administrator's agency form: saved, refused with the error by its field, or, when someone
saved the agency meanwhile, shown again with both what was typed and what is saved now."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from referral.agencies.models import Agency
from referral.extensions import db
from tests.fixtures import fresh, login


def _data(agency: Agency, **changes: Any) -> dict[str, Any]:
    data = {"version": agency.version, "name": agency.name, "type": agency.type,
            "region_code": agency.region_code, "district_id": "", "email": agency.email or "",
            "phone": agency.phone or "", "address": "", "working_hours": "", "languages": "",
            "shelter_places": agency.shelter_places or 0}
    data.update(changes)
    return data


def _saved(agency_id: int) -> Agency:
    fresh()
    return db.session.execute(select(Agency).where(Agency.id == agency_id)).scalar_one()


def test_a_stale_agency_edit_keeps_the_input_and_shows_the_saved_values(ctx, app, world):
    agency = world["crisis_agency"]
    first, second = app.test_client(), app.test_client()
    login(first, world["admin"])
    login(second, world["admin"])
    opened = agency.version
    assert first.post(f"/admin/agencies/{agency.id}",
                      data=_data(agency, name="Saved By First")).status_code == 302
    page = second.post(f"/admin/agencies/{agency.id}",
                       data=_data(agency, version=opened, phone="+7 700 000 00 01"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'value="+7 700 000 00 01"' in html  # what the second administrator typed
    assert "Saved values now" in html and "Saved By First" in html  # beside the saved values
    saved = _saved(agency.id)
    assert (saved.name, saved.phone) == ("Saved By First", agency.phone)
    again = second.post(f"/admin/agencies/{agency.id}",
                        data=_data(saved, phone="+7 700 000 00 01"))
    assert again.status_code == 302
    assert _saved(agency.id).phone == "+7 700 000 00 01"


def test_an_invalid_agency_edit_is_shown_again_unsaved(ctx, app, client, world):
    agency = world["crisis_agency"]
    login(client, world["admin"])
    page = client.post(f"/admin/agencies/{agency.id}", data=_data(agency, shelter_places=-1))
    assert page.status_code == 200
    assert "Shelter places cannot be negative." in page.get_data(as_text=True)
    assert _saved(agency.id).version == agency.version
