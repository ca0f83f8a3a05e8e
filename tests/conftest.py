"""Test wiring: a migrated database per test, live servers, browsers and service checks.

The suite runs on SQLite by default. Point it at real servers with
  TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test
  TEST_REDIS_URL=redis://127.0.0.1:6379/15
Under pytest-xdist (`make test` runs ``-n auto``) each worker uses its own database
(``<name>_gw0``, created if missing) and its own Redis db (15, 14, …), derived from those URLs.
With REFERRAL_REQUIRE_SERVICES=1 (set by .ci/run) a test marked postgres, redis or browser that
would be skipped fails the run instead.
"""

from __future__ import annotations

import atexit
import contextvars
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.globals import _cv_app, _cv_request
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from referral import create_app


def _per_worker(name: str, rewrite: Any) -> None:
    """Under pytest-xdist each worker gets its own database and Redis db, derived from the URL
    given, so two workers never truncate, flush or consume each other's data. Rewritten in the
    environment too, for tests (and the processes they start) that read it from there."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    value = os.environ.get(name, "")
    if worker and value and not os.environ.get(f"{name}_SHARED_BY_WORKERS"):
        os.environ[f"{name}_SHARED_BY_WORKERS"] = value
        os.environ[name] = rewrite(value, int(worker.removeprefix("gw")), worker)


def _worker_database(url: str, index: int, worker: str) -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


def _worker_redis(url: str, index: int, worker: str) -> str:
    base, _, number = url.rpartition("/")
    db = int(number) if number.isdigit() else 0
    return f"{base}/{(db - index) % 16}"


_per_worker("TEST_DATABASE_URL", _worker_database)
_per_worker("TEST_REDIS_URL", _worker_redis)
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
REQUIRE_SERVICES = os.environ.get("REFERRAL_REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgres")

pytest_plugins = ["tests.fixtures"]

_HOW = {
    "postgres": "PostgreSQL not configured: set "
    "TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "redis": "Redis not configured: set TEST_REDIS_URL=redis://127.0.0.1:6379/15",
    "browser": f"Chromium not found at {CHROMIUM}: apt-get install -y chromium "
    "(or set CHROMIUM_PATH)",
}


def _missing(marker: str) -> bool:
    if marker == "postgres":
        return not ON_POSTGRES
    if marker == "redis":
        return not TEST_REDIS_URL
    if marker == "browser":
        return not Path(CHROMIUM).exists()
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for marker in ("postgres", "redis", "browser"):
            if marker in item.keywords and _missing(marker):
                if REQUIRE_SERVICES:
                    item.add_marker(pytest.mark.usefixtures("_required_service_missing"))
                    item.user_properties.append(("missing", _HOW[marker]))
                else:
                    item.add_marker(pytest.mark.skip(reason=_HOW[marker]))


@pytest.fixture
def _required_service_missing(request: pytest.FixtureRequest) -> None:
    reasons = [v for k, v in request.node.user_properties if k == "missing"]
    pytest.fail("REFERRAL_REQUIRE_SERVICES=1 but " + "; ".join(reasons))


_skipped_required: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and REQUIRE_SERVICES:
        keywords = set(report.keywords)
        if keywords & {"postgres", "redis", "browser"}:
            _skipped_required.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _skipped_required:
        print("\nRequired service tests were skipped:", *_skipped_required, sep="\n  ")
        session.exitstatus = 1


# --- databases ----------------------------------------------------------------------------------


_DOCUMENTS_DIR = tempfile.mkdtemp(prefix="referral-test-documents-")
atexit.register(shutil.rmtree, _DOCUMENTS_DIR, ignore_errors=True)


def base_config(database_url: str, **extra: Any) -> dict[str, Any]:
    cfg = {
        "ENV_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
        "REDIS_URL": TEST_REDIS_URL,
        "CELERY_BROKER_URL": TEST_REDIS_URL or "memory://",
        # Uploaded documents go to a folder of this test process, never the instance folder.
        "DOCUMENTS_DIR": _DOCUMENTS_DIR,
    }
    cfg.update(extra)
    return cfg


def _ensure_postgres_database(url: str) -> None:
    """Create the database if it does not exist (a worker's own copy under pytest-xdist).

    Its commits do not wait for the WAL flush (``synchronous_commit = off``): a test database
    is emptied after every test, so a crash could lose nothing worth keeping, while the wait
    was a share of every committing test's time. Visibility, locks and isolation, which the
    tests exercise, are the same either way."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                            {"n": parsed.database}).first():
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
        conn.execute(text(f'ALTER DATABASE "{parsed.database}" SET synchronous_commit = off'))
    admin.dispose()


def _reset_postgres(url: str) -> None:
    _ensure_postgres_database(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _migrate(app: Flask) -> None:
    from flask_migrate import upgrade

    from referral.agencies.service import load_regions
    from referral.extensions import db

    with app.app_context():
        upgrade()
        load_regions()
        db.session.commit()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per run: a template SQLite file, or the PostgreSQL test database."""
    if ON_POSTGRES:
        _reset_postgres(TEST_DATABASE_URL)
        _migrate(create_app(base_config(TEST_DATABASE_URL)))
        return TEST_DATABASE_URL
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    _migrate(create_app(base_config(f"sqlite:///{path}")))
    # Everything into the main file, which stays in WAL mode (as a production database is after
    # its first migration), so each test's copy needs no -wal file and no journal switch.
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return str(path)


_KEPT_TABLES = ("alembic_version", "regions", "offences", "offence_parts")
_ENGINES: dict[str, Any] = {}


def _engine(url: str) -> Any:
    """One engine per database for the whole run: each test's reset reuses its connection."""
    if url not in _ENGINES:
        _ENGINES[url] = create_engine(url, pool_size=1, pool_pre_ping=True)
        atexit.register(_ENGINES[url].dispose)
    return _ENGINES[url]


def _empty_postgres(url: str) -> None:
    """Empty what a test wrote: DELETE from the tables holding rows, restart their sequences.

    A test writes to a handful of the 60-odd tables, and TRUNCATE of all of them (new files for
    every table and index) cost about a tenth of a second per test. Triggers are
    off for the reset (``session_replication_role``, a superuser's setting), so the audit
    tables' refusal of DELETE and the foreign keys' checks do not apply and the order of the
    DELETEs does not matter."""
    with _engine(url).begin() as conn:
        tables = conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> ALL(:kept)"), {"kept": list(_KEPT_TABLES)}).scalars().all()
        if not tables:
            return
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        holding = conn.execute(text(" UNION ALL ".join(
            f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables
        ))).scalars().all()
        for table in holding:
            conn.execute(text(f'DELETE FROM "{table}"'))
        # The sequences of these tables' serial and identity columns, as RESTART IDENTITY did.
        conn.execute(text(
            "SELECT setval(d.objid::regclass, 1, false) FROM pg_depend d "
            "JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' "
            "JOIN pg_class t ON t.oid = d.refobjid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public' "
            "WHERE d.deptype IN ('a', 'i') AND t.relname <> ALL(:kept)"),
            {"kept": list(_KEPT_TABLES)})
        if "audit_chain_head" in tables:  # as migrated: the head of an empty chain
            conn.execute(text("INSERT INTO audit_chain_head (id, prev_hash, row_hash) "
                              "VALUES (1, :g, :g)"), {"g": "0" * 64})


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for one test."""
    if ON_POSTGRES:
        yield TEST_DATABASE_URL
        _empty_postgres(TEST_DATABASE_URL)
        return
    target = tmp_path / "test.sqlite"
    shutil.copyfile(database_template, target)
    yield f"sqlite:///{target}"


@pytest.fixture
def app_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Extra settings for a test: ``@pytest.mark.app_config(KEY=value)``."""
    marker = request.node.get_closest_marker("app_config")
    return dict(marker.kwargs) if marker else {}


class IsolatedClient(FlaskClient):
    """Each request gets its own app context and database session, as in production,

    even when the test itself holds an app context open to call services.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        def run() -> Any:
            _cv_app.set(None)
            _cv_request.set(None)
            return super(IsolatedClient, self).open(*args, **kwargs)

        return contextvars.copy_context().run(run)


@pytest.fixture
def app(database_url: str, app_config: dict[str, Any]) -> Iterator[Flask]:
    application = create_app(base_config(database_url, **app_config))
    application.test_client_class = IsolatedClient
    yield application
    from referral.extensions import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """An app context for calling services directly; the session is removed afterwards."""
    from referral.extensions import db

    with app.app_context():
        yield app
        db.session.rollback()
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> Any:
    return app.test_client()


# --- live server and browser ---------------------------------------------------------------------


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app on a free localhost port, in a thread, for browser tests."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking"],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server, locale="en-US")
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()
