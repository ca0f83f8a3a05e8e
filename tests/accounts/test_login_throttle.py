"""Login abuse: locks per (account, client address), rate limits with 429, trusted proxies only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from referral.accounts.models import UserSession
from referral.extensions import db
from tests.conftest import TEST_REDIS_URL
from tests.fixtures import PASSWORD, fresh

MAX = 5  # LOGIN_MAX_FAILURES
WRONG = "not the right password at all"
ATTACKER, OWNER = "198.51.100.66", "203.0.113.10"


def attempt(client, email, password=PASSWORD, *, address=OWNER, headers=None, **extra):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers or {}, **extra)


def test_a_guesser_is_locked_at_their_address_while_the_owner_logs_in_from_theirs(
        client, app, world):
    officer = world["officer"].email
    for _ in range(MAX):
        assert attempt(client, officer, WRONG, address=ATTACKER).status_code == 401
    # The attacker's address is locked for this account, even with the right password ...
    locked = attempt(client, officer, PASSWORD, address=ATTACKER)
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    # ... and keeps hammering: locked answers spend nothing of the account's global limit.
    for _ in range(70):
        assert attempt(client, officer, WRONG, address=ATTACKER).status_code == 429
    owner = app.test_client()
    assert attempt(owner, officer, PASSWORD, address=OWNER).status_code == 302


@pytest.mark.app_config(LOGIN_LIMIT_PER_ADDRESS="8 per minute")
def test_hammering_a_locked_pair_runs_into_the_address_limit(client, app, world, ctx):
    from referral.audit.models import AuditEvent

    officer = world["officer"].email
    for _ in range(MAX):
        attempt(client, officer, WRONG, address=ATTACKER)
    for _ in range(3):  # locked answers: audited, and counted for the address
        assert attempt(client, officer, WRONG, address=ATTACKER).status_code == 429
    fresh()
    audited = db.session.execute(select(AuditEvent.outcome).where(
        AuditEvent.action == "login")).scalars().all()
    assert audited == ["failure"] * MAX + ["locked"] * 3
    # The address limit (8) is spent: further attempts stop before the login runs at all.
    for _ in range(5):
        attempt(client, officer, WRONG, address=ATTACKER)
    fresh()
    assert len(db.session.execute(select(AuditEvent.id).where(
        AuditEvent.action == "login")).all()) == MAX + 3
    assert attempt(app.test_client(), officer, address=OWNER).status_code == 302


def test_the_owner_logging_in_does_not_unlock_the_guessers_address(client, app, world):
    officer = world["officer"].email
    for _ in range(MAX):
        attempt(client, officer, WRONG, address=ATTACKER)
    assert attempt(app.test_client(), officer, address=OWNER).status_code == 302
    assert attempt(client, officer, PASSWORD, address=ATTACKER).status_code == 429


@pytest.mark.app_config(LOGIN_LIMIT_PER_ADDRESS="3 per minute")
def test_failures_from_one_address_over_many_accounts_get_429_with_retry_after(client, world):
    for n in range(3):
        assert attempt(client, f"guess{n}@test.example.org", WRONG,
                       address=ATTACKER).status_code == 401
    refused = attempt(client, world["officer"].email, PASSWORD, address=ATTACKER,
                      headers={"Accept-Language": "ru"})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 61  # the 1-minute window, rounded up
    body = refused.get_data(as_text=True)
    assert 'data-testid="too-many"' in body
    assert "Too many attempts" not in body  # the page is in the client's language
    # Another address is not affected.
    assert attempt(client, world["officer"].email, address=OWNER).status_code == 302


@pytest.mark.app_config(LOGIN_LIMIT_PER_ADDRESS="3 per minute")
def test_successful_logins_spend_nothing_of_the_address_limit(app, world):
    for _ in range(6):  # colleagues behind one office address
        assert attempt(app.test_client(), world["officer"].email, address=OWNER).status_code == 302


@pytest.mark.app_config(LOGIN_LIMIT_PER_ACCOUNT="4 per hour")
def test_many_addresses_only_slow_the_account_globally(client, world):
    officer = world["officer"].email
    for n in range(4):
        assert attempt(client, officer, WRONG, address=f"192.0.2.{n + 1}").status_code == 401
    slowed = attempt(client, officer, PASSWORD, address=OWNER)
    assert slowed.status_code == 429 and int(slowed.headers["Retry-After"]) > 0
    # Other accounts are not slowed.
    assert attempt(client, world["manager"].email, address=OWNER).status_code == 302


def _session_address(user_id: int) -> str:
    fresh()
    return db.session.execute(select(UserSession.client_address).where(
        UserSession.user_id == user_id).order_by(UserSession.id.desc())).scalars().first()


def test_x_forwarded_for_is_ignored_without_trusted_proxies(app, ctx, client, world):
    assert app.config["TRUSTED_PROXIES"] == 0
    officer = world["officer"].email
    # Rotating X-Forwarded-For does not escape the lock: the address is the peer's.
    for n in range(MAX):
        attempt(client, officer, WRONG, address=ATTACKER,
                headers={"X-Forwarded-For": f"10.9.9.{n}"})
    assert attempt(client, officer, address=ATTACKER,
                   headers={"X-Forwarded-For": "10.9.9.200"}).status_code == 429
    attempt(app.test_client(), officer, address=OWNER, headers={"X-Forwarded-For": "10.1.1.1"})
    assert _session_address(world["officer"].id) == OWNER


@pytest.mark.app_config(TRUSTED_PROXIES=1)
def test_one_trusted_proxy_hop_gives_the_forwarded_client_address(app, ctx, client, world):
    proxy = "127.0.0.1"
    officer = world["officer"].email
    for _ in range(MAX):
        attempt(client, officer, WRONG, address=proxy,
                headers={"X-Forwarded-For": f"1.2.3.4, {ATTACKER}"})
    # The client the proxy saw (the last hop) is locked; a spoofed first entry changes nothing.
    assert attempt(client, officer, address=proxy,
                   headers={"X-Forwarded-For": f"5.6.7.8, {ATTACKER}"}).status_code == 429
    # Another client behind the same proxy logs in.
    assert attempt(app.test_client(), officer, address=proxy,
                   headers={"X-Forwarded-For": OWNER}).status_code == 302
    assert _session_address(world["officer"].id) == OWNER


def test_memory_storage_without_redis(app):
    if app.config.get("REDIS_URL"):
        pytest.skip("this run has REDIS_URL set")
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


@pytest.mark.redis
@pytest.mark.app_config(LOGIN_LIMIT_PER_ADDRESS="2 per minute")
def test_counts_live_in_redis_when_redis_url_is_set(app, client, world):
    import redis

    from referral.accounts.ratelimit import limiter

    assert app.config["REDIS_URL"] == TEST_REDIS_URL
    assert app.config["RATELIMIT_STORAGE_URI"] == TEST_REDIS_URL
    assert type(limiter.storage).__name__ == "RedisStorage"
    store = redis.Redis.from_url(TEST_REDIS_URL)
    namespace = app.config["RATELIMIT_NAMESPACE"]
    try:
        for _ in range(2):
            assert attempt(client, "guess@test.example.org", WRONG,
                           address=ATTACKER).status_code == 401
        keys = [k.decode() for k in store.scan_iter(f"*{namespace}*")]
        assert keys, "the counts are in Redis"
        assert not any(ATTACKER in k or "guess@" in k for k in keys)  # HMACs, never raw values
        assert attempt(client, world["officer"].email, address=ATTACKER).status_code == 429
    finally:
        for key in store.scan_iter(f"*{namespace}*"):
            store.delete(key)
        store.close()


@pytest.mark.app_config(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
def test_an_unreachable_limit_store_never_stops_a_login(app, client, world):
    """Redis down: the limits fall back to this process's memory; logging in still works."""
    from referral.accounts.ratelimit import limiter

    try:
        assert attempt(client, world["officer"].email, WRONG).status_code == 401
        assert attempt(client, world["officer"].email).status_code == 302
    finally:
        limiter._storage_dead = False  # the next app's store is a live one


def test_a_mistyped_limit_stops_the_app_at_start(database_url):
    from referral import create_app
    from referral.config import ConfigurationError
    from tests.conftest import base_config

    with pytest.raises(ConfigurationError, match="LOGIN_LIMIT_PER_ACCOUNT"):
        create_app(base_config(database_url, LOGIN_LIMIT_PER_ACCOUNT="sixty an hour"))
