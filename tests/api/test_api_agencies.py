"""The directory through the API: agencies with filters and pages, one agency, districts and
regions; a crisis center's address only where the directory page shows it."""

from __future__ import annotations

from referral.extensions import db
from tests.api.helpers import Api, token_for
from tests.fixtures import make_agency, make_district


def test_agencies_filtered_and_paged(ctx, client, world):
    district = make_district("KZ-75", "Far district", remote=True)
    made = [make_agency("health", "KZ-75", services=("medical",), district=district)
            for _ in range(3)]
    make_agency("health", "KZ-43", services=("medical",))
    hidden = make_agency("ngo", "KZ-75", services=("legal_aid",))
    hidden.is_active = False
    db.session.commit()
    made_ids = [a.id for a in made]
    hidden_id = hidden.id
    api = Api(client, token_for(world["officer"]))
    first = api.get("/agencies?region=KZ-75&service=medical&limit=2")
    assert first.status_code == 200, first.json
    second = api.get(f"/agencies?region=KZ-75&service=medical&limit=2"
                     f"&cursor={first.json['next_cursor']}").json
    assert [a["id"] for a in first.json["items"] + second["items"]] == made_ids
    assert second["next_cursor"] is None
    assert {a["id"] for a in api.get("/agencies?type=crisis_center").json["items"]} == {
        world["crisis_agency"].id}
    assert {a["id"] for a in api.get(f"/agencies?district_id={district.id}").json["items"]} == (
        set(made_ids))
    assert api.get(f"/agencies/{made_ids[0]}").json["services"] == ["medical"]
    assert api.get(f"/agencies/{hidden_id}").status_code == 404
    assert api.get("/agencies?type=spaceship").status_code == 422


def test_a_crisis_centers_address_as_the_directory_shows_it(ctx, client, world):
    crisis_id = world["crisis_agency"].id
    world["crisis_agency"].address = "Secret street 1"
    db.session.commit()
    police, own = (Api(client, token_for(world[who])) for who in ("officer", "crisis"))
    assert police.get(f"/agencies/{crisis_id}").json["address"] is None
    assert own.get(f"/agencies/{crisis_id}").json["address"] == "Secret street 1"
    assert police.get(f"/agencies/{world['police'].id}").status_code == 200


def test_districts_and_regions(ctx, client, world):
    make_district("KZ-75", "North")
    make_district("KZ-43", "South")
    db.session.commit()
    api = Api(client, token_for(world["officer"]), language="ru")
    districts = api.get("/districts?region=KZ-75").json["items"]
    assert [d["name_en"] for d in districts] == ["North"]
    assert all(d["region_code"] == "KZ-75" for d in districts)
    regions = api.get("/regions").json["items"]
    assert {"KZ-75", "KZ-43"} <= {r["code"] for r in regions}
