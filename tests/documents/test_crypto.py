"""Documents at rest: a fresh AES-256-GCM key per file wrapped by the master key; changed bytes,
an unknown key and a wrong key refused; re-wrapping keeps the file as it is; production refuses
to start without a proper master key."""

from __future__ import annotations

import base64
import os

import pytest

from referral.documents import crypto

KEY_A = base64.b64encode(os.urandom(32)).decode()
KEY_B = base64.b64encode(os.urandom(32)).decode()
TEXT = b"forensic medical report: bruising on the left forearm" * 20


def test_each_file_has_its_own_key_and_the_ciphertext_is_not_the_plaintext(bare) -> None:
    bare.config["DOCUMENTS_KEY"] = KEY_A
    one, two = crypto.seal(TEXT), crypto.seal(TEXT)
    assert TEXT not in one.ciphertext and b"forensic" not in one.ciphertext
    assert one.ciphertext != two.ciphertext and one.wrapped_key != two.wrapped_key
    assert one.key_id == two.key_id == crypto.key_id_of(base64.b64decode(KEY_A))
    assert len(one.key_id) == 8 and one.key_id not in KEY_A  # names the key, never is it
    assert crypto.unseal(one.ciphertext, one.wrapped_key, one.key_id) == TEXT


def test_changed_bytes_or_keys_do_not_open(bare) -> None:
    bare.config["DOCUMENTS_KEY"] = KEY_A
    sealed = crypto.seal(TEXT)
    flipped = bytearray(sealed.ciphertext)
    flipped[40] ^= 1
    with pytest.raises(crypto.DocumentKeyError, match="changed or damaged"):
        crypto.unseal(bytes(flipped), sealed.wrapped_key, sealed.key_id)
    other = crypto.seal(b"another file")
    with pytest.raises(crypto.DocumentKeyError):  # another file's key does not open this one
        crypto.unseal(sealed.ciphertext, other.wrapped_key, other.key_id)
    bare.config["DOCUMENTS_KEY"] = KEY_B  # the old key forgotten: nothing opens
    with pytest.raises(crypto.DocumentKeyError, match="OLD_KEYS"):
        crypto.unseal(sealed.ciphertext, sealed.wrapped_key, sealed.key_id)


def test_rewrap_moves_the_key_to_the_new_master_without_touching_the_file(bare) -> None:
    bare.config["DOCUMENTS_KEY"] = KEY_A
    sealed = crypto.seal(TEXT)
    bare.config.update(DOCUMENTS_KEY=KEY_B, DOCUMENTS_OLD_KEYS=f" {KEY_A} ,")
    wrapped, key_id = crypto.rewrap(sealed.wrapped_key, sealed.key_id)
    assert key_id == crypto.key_id_of(base64.b64decode(KEY_B)) != sealed.key_id
    bare.config["DOCUMENTS_OLD_KEYS"] = ""  # the old key dropped: the re-wrapped key opens
    assert crypto.unseal(sealed.ciphertext, wrapped, key_id) == TEXT


def test_without_a_key_development_derives_one_from_the_secret_key(bare) -> None:
    first = crypto.seal(TEXT)
    bare.config["SECRET_KEY"] = "another-development-secret"
    assert crypto.seal(TEXT).key_id != first.key_id


@pytest.mark.parametrize(("key", "message"), [
    ("", "must be set"),
    ("not base64!", "not base64"),
    (base64.b64encode(b"short").decode(), "32 bytes"),
    (base64.b64encode(bytes(32)).decode(), "known example"),
    (base64.b64encode(bytes(range(32))).decode(), "known example"),
])
def test_production_refuses_a_missing_or_default_key(key: str, message: str) -> None:
    from referral.errors import ConfigurationError

    config = {"ENV_NAME": "production", "DOCUMENTS_KEY": key}
    with pytest.raises(ConfigurationError, match=message):
        crypto.require_production_key(config)
    crypto.require_production_key({**config, "DOCUMENTS_KEY": KEY_A})  # a random key starts
    with pytest.raises(ConfigurationError, match="OLD_KEYS"):
        crypto.require_production_key({**config, "DOCUMENTS_KEY": KEY_A,
                                       "DOCUMENTS_OLD_KEYS": "x!"})
    crypto.require_production_key({"ENV_NAME": "development"})  # development derives one


def test_the_production_app_does_not_start_without_a_documents_key(database_url: str) -> None:
    from referral import create_app
    from referral.errors import ConfigurationError
    from tests.conftest import base_config

    config = base_config(database_url, ENV_NAME="production", SECRET_KEY="s" * 40,
                         CHECK_MIGRATIONS=False)
    with pytest.raises(ConfigurationError, match="REFERRAL_DOCUMENTS_KEY must be set"):
        create_app(config)
    with pytest.raises(ConfigurationError, match="known example"):
        create_app({**config, "DOCUMENTS_KEY": base64.b64encode(bytes(32)).decode()})
    app = create_app({**config, "DOCUMENTS_KEY": KEY_A})
    assert app.config["DOCUMENTS_KEY"] == KEY_A
