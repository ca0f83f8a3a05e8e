"""The outbox in keyset pages: every sent referral reachable, none twice, other agencies' never."""

from __future__ import annotations

import re
from datetime import timedelta

from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals import service
from tests.fixtures import actor, login
from tests.referrals.factories import make_case, send


def _sent(world, count: int) -> list[int]:
    """``count`` referrals one minute apart, the newest last; two share a sending time."""
    case = make_case(world["police"], world["officer"])
    start = utcnow() - timedelta(days=1)
    ids = []
    for n in range(count):
        referral = send(world["officer"], case, world["crisis_agency"])
        referral.sent_at = start + timedelta(minutes=n if n != 1 else 0)
        ids.append(referral.id)
    db.session.commit()
    return ids


def test_pages_walk_every_referral_newest_first_exactly_once(world):
    ids = _sent(world, 7)
    officer = actor(world["officer"])
    seen: list[int] = []
    page = service.list_outbox_for(officer, limit=3)
    while True:
        seen += [r.id for r in page.referrals]
        if page.older is None:
            break
        page = service.list_outbox_for(officer, before=page.older, limit=3)
    # ids[0] and ids[1] were sent at the same instant: the higher id comes first.
    assert seen == list(reversed(ids))


def test_a_cursor_from_another_agency_gives_an_empty_page(world):
    ids = _sent(world, 2)
    other = make_case(world["other_agency"], world["other"])
    theirs = send(world["other"], other, world["crisis_agency"])
    db.session.commit()
    assert service.list_outbox_for(actor(world["officer"]), before=theirs.id).referrals == []
    assert [r.id for r in service.list_outbox_for(actor(world["other"])).referrals] == [theirs.id]
    assert ids  # ours are untouched by their cursor


def test_the_outbox_page_links_to_older_referrals_and_filters_by_status(client, world):
    ids = _sent(world, 53)
    service.cancel_referral(actor(world["officer"]), referral_id=ids[0],
                            reason_code="no_longer_needed")
    db.session.commit()
    login(client, world["officer"])
    first = client.get("/referrals/outbox").data.decode()
    assert first.count('data-testid="referral-row"') == 50
    older = re.search(r'href="(/referrals/outbox\?before=\d+)"', first).group(1)
    second = client.get(older).data.decode()
    assert second.count('data-testid="referral-row"') == 3
    assert 'data-testid="older"' not in second
    shown = set(re.findall(r'href="/referrals/(\d+)"', first + second))
    assert shown == {str(i) for i in ids}
    cancelled = client.get("/referrals/outbox?status=cancelled").data.decode()
    assert re.findall(r'href="/referrals/(\d+)"', cancelled) == [str(ids[0])]
