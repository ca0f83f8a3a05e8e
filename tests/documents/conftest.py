"""Fixtures for the documents tests: each test's own file store, and a real S3 API server.

The S3 server is moto's server mode, started in this process on a free port and spoken to over
HTTP by boto3 exactly as MinIO or AWS would be (no mock object, no patched client).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def app_config(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """As tests/conftest.py's, and the file store in the test's own folder (never the real
    instance/documents)."""
    marker = request.node.get_closest_marker("app_config")
    config: dict[str, Any] = {"DOCUMENTS_DIR": str(tmp_path / "documents")}
    config.update(marker.kwargs if marker else {})
    return config


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3 API over HTTP (moto's server) on a free localhost port."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_settings(s3_endpoint: str) -> dict[str, Any]:
    """App settings for an S3 store in a bucket of the test's own (created empty)."""
    from referral.documents.storage import S3Store

    settings = {
        "DOCUMENTS_STORE": "s3",
        "DOCUMENTS_S3_ENDPOINT": s3_endpoint,
        "DOCUMENTS_S3_BUCKET": f"test-{uuid.uuid4().hex[:16]}",
        "DOCUMENTS_S3_ACCESS_KEY": "testing",
        "DOCUMENTS_S3_SECRET_KEY": "testing-secret",
        "DOCUMENTS_S3_REGION": "us-east-1",
    }
    S3Store(s3_endpoint, settings["DOCUMENTS_S3_BUCKET"], "testing", "testing-secret",
            "us-east-1").ensure_bucket()
    return settings


@pytest.fixture
def s3_store(s3_settings: dict[str, Any]) -> Any:
    from referral.documents.storage import store_from_config

    return store_from_config(s3_settings, "")


@pytest.fixture
def bare(tmp_path: Path) -> Iterator[Any]:
    """An app context with the app's translations and a test secret, without a database: for
    the parts (sanitising, sealing, storing) that need nothing else."""
    from flask import Flask
    from flask_babel import Babel

    import referral

    app = Flask("referral", root_path=str(Path(referral.__file__).parent))
    app.config.update(SECRET_KEY="testing-secret-key-not-for-production",
                      DOCUMENTS_DIR=str(tmp_path / "documents"))
    Babel(app)
    with app.app_context():
        yield app
