"""Password floor: argon2id, 12..128 characters exactly as typed, common passwords refused."""

from __future__ import annotations

import pytest

from referral.accounts.passwords import (
    common_passwords,
    hash_password,
    password_problems,
    verify_password,
)
from referral.extensions import db
from tests.fixtures import PASSWORD, fresh, login

LONG_UNICODE = ("Жаңа құпия сөз ü ÿ 🙂 with  spaces " * 10)[:128]


def test_hashes_are_argon2id(ctx):
    hashed = hash_password("a perfectly fine passphrase")
    assert hashed.startswith("$argon2id$v=19$")
    assert "a perfectly fine passphrase" not in hashed


def test_minimum_length_is_twelve_characters(ctx):
    assert password_problems("plum orbit7") != []  # 11
    assert password_problems("plum orbit7x") == []  # 12
    assert password_problems("жаңа сөз 12ü") == []  # 12 characters, more bytes


def test_128_characters_accepted_and_verified_exactly_as_typed(ctx):
    assert len(LONG_UNICODE) == 128
    assert password_problems(LONG_UNICODE) == []
    assert password_problems(LONG_UNICODE + "x") != []
    hashed = hash_password(LONG_UNICODE)
    assert verify_password(hashed, LONG_UNICODE)
    for variant in (LONG_UNICODE.strip(), LONG_UNICODE.lower(), LONG_UNICODE[:127],
                    LONG_UNICODE.replace("  ", " ")):
        assert not verify_password(hashed, variant)


def test_spaces_are_kept_at_both_ends(ctx):
    hashed = hash_password("  padded phrase  ")
    assert verify_password(hashed, "  padded phrase  ")
    assert not verify_password(hashed, "padded phrase")


def test_bundled_common_passwords_are_refused_in_any_case(ctx):
    listed = sorted(common_passwords())
    assert len(listed) > 100
    long_ones = [p for p in listed if len(p) >= 12]
    assert long_ones, "the list must hold passwords that pass the length rule"
    for pw in long_ones:
        assert password_problems(pw), pw
        assert password_problems(pw.upper()), pw


def test_missing_or_broken_hash_never_verifies(ctx):
    assert not verify_password(None, "anything at all")
    assert not verify_password("not-a-hash", "anything at all")


def test_password_change_through_the_form_keeps_unicode_and_spaces(client, world):
    officer = world["officer"]
    login(client, officer)
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": LONG_UNICODE,
        "confirm_password": LONG_UNICODE})
    assert response.status_code == 302
    client.post("/logout")
    assert login(client, officer, LONG_UNICODE.strip()).status_code == 401
    assert login(client, officer, LONG_UNICODE).status_code == 302


@pytest.mark.parametrize("new, message", [
    ("short pass", "at least 12 characters"),
    ("password1234", "too common"),
    ("x" * 129, "at most 128 characters"),
])
def test_password_change_form_refuses_weak_passwords(client, world, new, message):
    officer = world["officer"]
    before = officer.password_hash
    login(client, officer)
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": new, "confirm_password": new})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    fresh()
    assert db.session.get(type(officer), officer.id).password_hash == before


def test_production_uses_the_recommended_argon2id_cost(database_url):
    from argon2 import PasswordHasher

    from referral import create_app
    from tests.conftest import base_config

    app = create_app(base_config(database_url, ENV_NAME="production", SECRET_KEY="k" * 40,
                                 ARGON2_TIME_COST=None, ARGON2_MEMORY_KIB=None,
                                 DOCUMENTS_KEY="7eo/eY//Em8tBNr5fiqkSFOlqOz7YibvnOSJenKc5dM="))
    default = PasswordHasher()
    with app.app_context():
        hashed = hash_password("production passphrase")
    assert hashed.startswith(
        f"$argon2id$v=19$m={default.memory_cost},t={default.time_cost},p={default.parallelism}$")
    assert default.memory_cost >= 19456 and default.time_cost >= 2


@pytest.mark.parametrize("cost", [{"ARGON2_TIME_COST": 1}, {"ARGON2_MEMORY_KIB": 1024}])
def test_production_refuses_a_weak_argon2_cost(database_url, cost):
    from referral import create_app
    from referral.config import ConfigurationError
    from tests.conftest import base_config

    with pytest.raises(ConfigurationError):
        create_app(base_config(database_url, ENV_NAME="production", SECRET_KEY="k" * 40, **cost))
