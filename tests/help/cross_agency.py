"""Cross-agency targets of the help routes kept beside their tests (see
tests/test_cross_agency_404.py)."""

from __future__ import annotations

from tests.test_cross_agency_404 import Target

_PUBLIC = "a role's guide holds no data of any agency: every user may read what the others do"

# The parameter names a guide, not a record: every logged-in user reads every guide.
TARGETS = {
    "help.guide": Target({"guide": "coordinator"},
                         exempt={o: _PUBLIC for o in ("other", "other_manager", "crisis",
                                                      "other_coordinator", "admin")}),
}
