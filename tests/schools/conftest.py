"""Schools of the test world: two education agencies of KZ-75, each with staff."""

from __future__ import annotations

from typing import Any

import pytest

from referral.access.permissions import Role
from referral.extensions import db
from tests.fixtures import make_agency, make_user


@pytest.fixture
def schools(world: dict[str, Any]) -> dict[str, Any]:
    school = make_agency("education", "KZ-75", name="School A", phone="+7 727 000 0001")
    other = make_agency("education", "KZ-75", name="School B")
    out = {
        "school": school, "other_school": other,
        "teacher": make_user(school, Role.OFFICER, email="teacher@test.example.org",
                             name="Safeguarding Lead A"),
        "head": make_user(school, Role.AGENCY_MANAGER, email="head@test.example.org"),
        "other_teacher": make_user(other, Role.OFFICER, email="teacher.b@test.example.org"),
    }
    db.session.commit()
    return out
