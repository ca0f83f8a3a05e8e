"""Foundation test helpers: cases made directly through the model, session cookies."""

from __future__ import annotations

import itertools
from typing import Any

from referral.access.scope import acting_as, system_actor
from referral.accounts.models import User
from referral.agencies.models import Agency
from referral.cases.models import Case, CaseMember
from referral.extensions import db

_refs = itertools.count(1)


def make_case(agency: Agency, creator: User, *, region: str | None = None,
              restricted: bool = False, members: tuple[User, ...] = ()) -> Case:
    """A bare case row (the cases domain owns the real service); flushed, not committed."""
    with acting_as(system_actor("test factory")):
        case = Case(
            reference=f"T-{next(_refs):06d}", region_code=region or agency.region_code,
            owner_agency_id=agency.id, created_by_id=creator.id, restricted=restricted,
        )
        db.session.add(case)
        db.session.flush()
        for member in members:
            db.session.add(CaseMember(case_id=case.id, user_id=member.id))
        db.session.flush()
    return case


def session_cookie(client: Any) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def replay_cookie(client: Any, value: str) -> None:
    client.set_cookie("session", value)


def csrf_token_from(html: str) -> str:
    """The first CSRF token in a page (for tests that run with WTF_CSRF_ENABLED=True)."""
    import re

    found = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    if not found:
        found = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def login_with_csrf(client: Any, email: str, password: str) -> Any:
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": token})


def without_csrf_tokens(html: str) -> str:
    """A page with its per-session, per-second CSRF tokens blanked (to compare two answers),
    and an error page's per-request reference (its request id)."""
    import re

    html = re.sub(r'data-testid="error-reference">[^<]*<', 'data-testid="error-reference"><', html)
    return re.sub(r'name="csrf_token" (type="hidden" )?value="[^"]*"', "CSRF", html)
