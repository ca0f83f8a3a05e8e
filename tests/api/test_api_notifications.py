"""Notifications through the API: the caller's own list, the unread filter, cursor pages, marking
one read; another user's notification is a 404."""

from __future__ import annotations

from typing import Any

from referral.extensions import db
from tests.api.helpers import Api, token_for
from tests.referrals.factories import make_case, send


def _sent_to_crisis(world: dict[str, Any], count: int) -> list[int]:
    case = make_case(world["police"], world["officer"])
    ids = [send(world["officer"], case, world["crisis_agency"]).id for _ in range(count)]
    db.session.commit()
    return ids


def test_the_callers_notifications_paged_filtered_and_marked_read(ctx, client, world):
    referral_ids = _sent_to_crisis(world, 3)
    crisis, police = (Api(client, token_for(world[who])) for who in ("crisis", "officer"))
    first = crisis.get("/notifications?limit=2")
    assert first.status_code == 200, first.json
    assert len(first.json["items"]) == 2 and first.json["next_cursor"]
    rest = crisis.get(f"/notifications?limit=2&cursor={first.json['next_cursor']}").json
    lines = first.json["items"] + rest["items"]
    assert {n["subject_id"] for n in lines} == set(referral_ids)
    assert all(n["subject_type"] == "referral" and n["title"] for n in lines)
    assert rest["next_cursor"] is None
    note_id = lines[0]["id"]
    # another user's notification: as if it did not exist
    assert police.post(f"/notifications/{note_id}/read").status_code == 404
    marked = crisis.post(f"/notifications/{note_id}/read")
    assert marked.status_code == 200 and marked.json["read_at"] is not None
    unread = {n["id"] for n in crisis.get("/notifications?unread=true").json["items"]}
    read = {n["id"] for n in crisis.get("/notifications?unread=false").json["items"]}
    assert note_id not in unread and len(unread) == 2 and read == {note_id}
    assert police.get("/notifications").json["items"] == []


def test_a_russian_caller_reads_titles_in_russian(ctx, client, world):
    _sent_to_crisis(world, 1)
    crisis = Api(client, token_for(world["crisis"]), language="ru")
    english = Api(client, token_for(world["crisis"]), language="en")
    title_ru = crisis.get("/notifications").json["items"][0]["title"]
    title_en = english.get("/notifications").json["items"][0]["title"]
    assert title_ru != title_en
