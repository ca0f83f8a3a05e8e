"""The overdue review tells an unanswered referral nobody at the agency has opened from one the
agency has opened and is reviewing (``received_at``, issue 19 §4)."""

from __future__ import annotations

from datetime import timedelta

from referral.coordination.service import review as service
from referral.extensions import db
from tests.coordination.factories import NOW, make_case, make_referral
from tests.fixtures import actor, login

H = timedelta(hours=1)


def test_unopened_and_under_review_apart_in_the_review_and_on_its_page(world, client):
    crisis = db.session.get(type(world["police"]), world["crisis"].agency_id)

    def ref(**kw):
        case = make_case(world["police"], world["officer"], risk_level="standard")
        return make_referral(case, world["officer"], crisis, **kw)

    # Overdue: one never opened, one opened and not answered; about to expire: the same pair.
    late_unopened = ref(status="sent", sent_at=NOW - 25 * H, deadline=24 * H)
    late_opened = ref(status="sent", sent_at=NOW - 26 * H, deadline=24 * H,
                      received_at=NOW - 20 * H)
    soon_unopened = ref(status="sent", sent_at=NOW - 19 * H, deadline=24 * H)
    soon_opened = ref(status="sent", sent_at=NOW - 20 * H, deadline=24 * H,
                      received_at=NOW - 19 * H)
    expired_unopened = ref(status="expired", sent_at=NOW - 50 * H, deadline=24 * H)
    db.session.commit()

    review = service.overdue_review(actor(world["coordinator"]), now=NOW)
    db.session.commit()  # the read is audited: end the write, as a request does
    rows = {r.referral_id: r for name in ("overdue", "due_soon")
            for r in review.sections[name]}
    assert {i for i, r in rows.items() if r.unopened} == {
        late_unopened.id, soon_unopened.id}
    assert {i for i, r in rows.items() if r.under_review} == {late_opened.id, soon_opened.id}
    assert rows[late_opened.id].opened_at is not None
    assert not rows[expired_unopened.id].unopened  # expired: its own status, then "not opened"

    login(client, world["coordinator"])
    page = client.get("/coordination/review").data.decode()

    def state(referral) -> str:
        row = page.split(f'data-testid="referral-{referral.id}"', 1)[1].split("</tr>", 1)[0]
        return row.split('data-testid="state">', 1)[1].split("</small>", 1)[0]

    assert state(late_unopened) == state(soon_unopened) == "Not opened yet"
    assert state(late_opened) == state(soon_opened) == "Opened, under review"
    assert state(expired_unopened) == "Expired · Not opened yet"
