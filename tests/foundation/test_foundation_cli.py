"""Commands: create-agency, create-user (prompted password), seed-demo, load-regions."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, text

from referral import create_app
from referral.accounts.models import User
from referral.accounts.passwords import verify_password
from referral.agencies.models import Agency, Region
from referral.api.demo import DEMO_TOKENS
from referral.audit.models import AuditEvent
from referral.demo import DEMO_PASSWORD, USERS, demo_email
from referral.extensions import db
from tests.conftest import base_config
from tests.fixtures import fresh

CLI_PASSWORD = "typed at the prompt only"


def _run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_create_agency(app, ctx):
    result = _run(app, "create-agency", "--name", "Taraz Crisis Center", "--type", "crisis_center",
                  "--region", "KZ-31", "--service", "shelter", "--service", "legal_aid")
    assert result.exit_code == 0, result.output
    agency_id = int(re.search(r"agency (\d+) created", result.output).group(1))
    fresh()
    agency = db.session.get(Agency, agency_id)
    assert (agency.name, agency.type, agency.region_code) == (
        "Taraz Crisis Center", "crisis_center", "KZ-31")
    assert agency.service_codes == ["legal_aid", "shelter"]
    assert db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "agency.create")).scalar_one().object_id == str(agency_id)


def test_create_agency_refuses_an_unknown_region(app, ctx):
    result = _run(app, "create-agency", "--name", "X", "--type", "police", "--region", "KZ-99")
    assert result.exit_code != 0
    assert "Choose a region." in result.output


def test_create_user_prompts_for_the_password(app, ctx, world):
    result = _run(app, "create-user", "--email", "Cli.User@test.example.org", "--name", "Cli User",
                  "--agency-id", str(world["police"].id), "--role", "agency_manager",
                  input=f"{CLI_PASSWORD}\n{CLI_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert CLI_PASSWORD not in result.output
    fresh()
    user = db.session.execute(
        select(User).where(User.email == "cli.user@test.example.org")).scalar_one()
    assert user.role == "agency_manager" and not user.must_change_password
    assert verify_password(user.password_hash, CLI_PASSWORD)


def test_create_user_has_no_password_option(app):
    result = _run(app, "create-user", "--help")
    assert "--password" not in result.output


def test_create_user_refuses_a_weak_password(app, ctx, world):
    result = _run(app, "create-user", "--email", "weak@test.example.org", "--name", "Weak",
                  "--agency-id", str(world["police"].id), "--role", "officer",
                  input="password1234\npassword1234\n")
    assert result.exit_code != 0
    assert "too common" in result.output
    fresh()
    assert db.session.execute(
        select(User).where(User.email == "weak@test.example.org")).scalar_one_or_none() is None


def test_create_coordinator_with_regions(app, ctx, world):
    result = _run(app, "create-user", "--email", "c@test.example.org", "--name", "Coord",
                  "--agency-id", str(world["akimat"].id), "--role", "coordinator",
                  "--region", "KZ-75", "--region", "KZ-19",
                  input=f"{CLI_PASSWORD}\n{CLI_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    fresh()
    user = db.session.execute(select(User).where(User.email == "c@test.example.org")).scalar_one()
    assert user.region_codes == {"KZ-75", "KZ-19"}


def _table_counts() -> dict[str, int]:
    counts = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name != "audit_events":
                counts[table.name] = conn.execute(
                    text(f'SELECT count(*) FROM "{table.name}"')).scalar_one()
    return counts


def test_seed_demo_is_idempotent_and_prints_the_logins(app, ctx):
    first = _run(app, "seed-demo")
    assert first.exit_code == 0, first.output
    after_first = _table_counts()
    second = _run(app, "seed-demo")
    assert second.exit_code == 0, second.output
    assert _table_counts() == after_first
    assert first.output == second.output
    assert DEMO_PASSWORD in first.output
    for local, *_ in USERS:
        assert demo_email(local) in first.output
    assert after_first["users"] == len(USERS) + len(DEMO_TOKENS)  # + the API's service accounts


def test_seed_demo_covers_every_role_three_regions_and_a_remote_district(app, ctx):
    _run(app, "seed-demo")
    fresh()
    roles = set(db.session.execute(select(User.role)).scalars())
    assert roles == {"officer", "agency_manager", "coordinator", "administrator"}
    agencies = db.session.execute(select(Agency)).scalars().all()
    assert len({a.region_code for a in agencies if a.type != "coordination"}) >= 3
    assert any(a.is_remote for a in agencies)
    types = {a.type for a in agencies}
    assert {"police", "special_police", "crisis_center", "family_support",
            "social_services"} <= types
    officer_types = set(db.session.execute(
        select(Agency.type).join(User, User.agency_id == Agency.id)
        .where(User.role == "officer")).scalars())
    assert {"police", "crisis_center", "social_services"} <= officer_types


def test_seed_demo_is_refused_in_production(database_url):
    app = create_app(base_config(database_url, ENV_NAME="production", SECRET_KEY="s" * 40,
                                 DOCUMENTS_KEY="7eo/eY//Em8tBNr5fiqkSFOlqOz7YibvnOSJenKc5dM="))
    result = _run(app, "seed-demo")
    assert result.exit_code != 0
    assert "refused in production" in result.output
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 0
        db.engine.dispose()


def test_load_regions_ships_the_20_regions_with_iso_codes_and_names(app, ctx):
    result = _run(app, "load-regions")
    assert result.exit_code == 0
    assert "20 regions loaded" in result.output
    fresh()
    regions = {r.code: r for r in db.session.execute(select(Region)).scalars()}
    assert len(regions) == 20
    assert all(re.fullmatch(r"KZ-\d\d", code) for code in regions)
    for region in regions.values():
        assert region.name_en and region.name_ru and region.name_kk
        assert re.search(r"[А-Яа-яЁё]", region.name_ru)
        assert re.search(r"[А-Яа-яӘәҒғҚқҢңӨөҰұҮүҺһІі]", region.name_kk)
    assert (regions["KZ-75"].name_ru, regions["KZ-75"].name_kk) == ("город Алматы",
                                                                    "Алматы қаласы")
    assert regions["KZ-62"].name_kk == "Ұлытау облысы"
    assert regions["KZ-71"].name_en == "Astana (city)"
    assert _run(app, "load-regions").exit_code == 0  # idempotent
    fresh()
    assert db.session.execute(select(func.count()).select_from(Region)).scalar_one() == 20


@pytest.mark.parametrize("command", ["create-agency", "create-user", "seed-demo",
                                     "load-regions", "audit"])
def test_commands_are_registered(app, command):
    assert _run(app, command, "--help").exit_code == 0
