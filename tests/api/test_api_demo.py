"""The demo's API tokens: what the README prints works against a freshly seeded demo."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from referral.access.scope import acting_as, system_actor
from referral.accounts.models import User
from referral.api.demo import DEMO_TOKENS
from referral.api.models import ApiToken
from referral.demo import seed
from referral.extensions import db
from tests.api.helpers import Api

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_tokens_open_the_api_as_their_agencies_systems(ctx, client):
    with acting_as(system_actor("test: the demo")):
        seed()
        seed()  # idempotent: no second service account, no second token
        db.session.commit()
        accounts = db.session.execute(select(func.count()).select_from(User).where(
            User.is_service_account.is_(True))).scalar_one()
        tokens = db.session.execute(select(func.count()).select_from(ApiToken)).scalar_one()
    assert accounts == tokens == len(DEMO_TOKENS)
    readme = README.read_text(encoding="utf-8")
    agencies = set()
    for _key, name, secret in DEMO_TOKENS:
        assert secret in readme
        me = Api(client, secret).get("/me")
        assert me.status_code == 200, me.data
        assert me.json["role"] == "agency_manager" and me.json["token_name"] == name
        agencies.add(me.json["agency_id"])
        outbox = Api(client, secret).get("/referrals/outbox")
        assert outbox.status_code == 200
    assert len(agencies) == len(DEMO_TOKENS)
    assert Api(client, "rfa_demo-not-printed").get("/me").status_code == 401
