"""Structured logs (issue 22): every line JSON, each request's id in its lines and in its
response, and nothing a user typed (names, IINs, e-mail addresses, notes, passwords) in any."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from referral.extensions import db
from referral.paths import PROJECT_ROOT
from referral.web import logs
from tests.fixtures import PASSWORD, login

SURNAME, GIVEN = "Zhumabayeva", "Aigerim"
IIN = "850722499909"
NOTE = "Neighbour heard screaming behind the blue door"
PROGRESS = "Moved to the shelter, speaks with the psychologist"
STRANGER = "nobody.real@mail.example.kz"
WRONG = "Wrong-Password-4711"
REQUIRED = ("time", "level", "logger", "message")
ACCESS = ("request_id", "method", "status", "duration_ms")


def _lines(text: str) -> list[dict]:
    records = []
    for line in text.splitlines():
        if line.strip():
            records.append(json.loads(line))  # every line is JSON, or the test fails here
    return records


def _secrets(*extra: str) -> tuple[str, ...]:
    return (SURNAME, GIVEN, IIN, NOTE, PROGRESS, STRANGER, WRONG, PASSWORD, *extra)


def _assert_clean(text: str, secrets: tuple[str, ...]) -> None:
    for secret in secrets:
        assert secret not in text, f"{secret!r} was logged"


# --- the journey through the Flask test client ------------------------------------------------


@pytest.mark.app_config(LOG_FORMAT="json")
def test_a_journey_logs_json_with_ids_and_no_personal_data(app, client, world, capsys):
    capsys.readouterr()
    responses = []

    def go(method: str, url: str, **kw):
        response = client.open(url, method=method, **kw)
        responses.append(response)
        return response

    officer = world["officer"]
    responses.append(login(client, officer))
    created = go("POST", "/cases/new", data={
        "creation_token": "3f1c7a52-0000-4000-8000-00000000a001", "region_code": "KZ-75",
        "address": "Flat 5", "languages": ["kk"]})
    assert created.status_code == 302, created.get_data(True)[:2000]
    case_url = created.headers["Location"]
    case_id = int(re.search(r"/cases/(\d+)", case_url).group(1))
    person = go("POST", f"/cases/{case_id}/people/new", data={
        "role": "survivor", "surname": SURNAME, "given_name": GIVEN, "sex": "female",
        "birth_date": "1985-07-22", "iin": IIN, "relationship_to_offender": "spouse",
        "confirm_new": "1"})
    assert person.status_code == 302, person.get_data(True)[:3000]
    assert go("POST", f"/cases/{case_id}/notes", data={"body": NOTE}).status_code == 302
    page = go("GET", f"/referrals/new?case_id={case_id}&service=shelter")
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page.get_data(True)).group(1)
    sent = go("POST", f"/referrals/new?case_id={case_id}", data={
        "token": token, "service_code": "shelter",
        "receiver_agency_id": str(world["crisis_agency"].id), "urgency": "emergency",
        "reason": "Threats last night.", "consented": "yes",
        "categories": ["identity_contact", "risk_assessment"]})
    assert sent.status_code == 302, sent.get_data(True)[:3000]
    referral_url = sent.headers["Location"]
    referral_id = int(re.search(r"/referrals/(\d+)", referral_url).group(1))
    go("POST", "/logout")

    responses.append(login(client, world["crisis"]))
    url = f"/referrals/{referral_id}"
    assert go("POST", f"{url}/accept", data={"accept-assignee_user_id": world["crisis"].id}
              ).status_code == 302
    assert go("POST", f"{url}/progress-notes", data={"progress-text": PROGRESS}).status_code == 302
    assert go("GET", url).status_code == 200
    missing = go("GET", "/cases/999999?token=abc123secret")
    assert missing.status_code == 404
    assert missing.headers["X-Request-ID"] in missing.get_data(True)  # quotable on the page
    assert go("GET", "/no-such-page/900115399904").status_code == 404  # no rule: no route
    go("POST", "/logout")
    failed = login(client, STRANGER, WRONG)
    responses.append(failed)
    assert failed.status_code in (200, 401, 429)

    out = capsys.readouterr().out
    _assert_clean(out, _secrets("abc123secret", world["crisis"].email, officer.email))
    records = _lines(out)
    for record in records:
        assert all(key in record for key in REQUIRED), record
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", record["time"])
    access = [r for r in records if r["logger"] == "referral.access"]
    ids = [r.headers["X-Request-ID"] for r in responses]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert [r["request_id"] for r in access] == ids  # one access line per request, in order
    for record, response in zip(access, responses, strict=True):
        assert all(key in record for key in ACCESS), record
        assert record["status"] == response.status_code
        assert "?" not in str(record.get("route")) and "999999" not in json.dumps(record)
    by_route = {r.get("route"): r for r in access}
    assert by_route["/cases/<int:case_id>/notes"]["method"] == "POST"
    progress = by_route["/referrals/<int:referral_id>/progress-notes"]
    assert progress["user_id"] == world["crisis"].id
    assert progress["agency_id"] == world["crisis_agency"].id
    assert [r for r in access if r["status"] == 404][0]["route"] == "/cases/<int:case_id>"
    assert [r for r in access if r["status"] == 404][1].get("route") is None


@pytest.mark.app_config(LOG_FORMAT="json", TRUSTED_PROXIES=1)
def test_a_trusted_proxy_may_name_the_request(client, capsys):
    capsys.readouterr()
    named = client.get("/health", headers={"X-Request-ID": "proxy-req-0001"})
    forged = client.get("/health", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert named.headers["X-Request-ID"] == "proxy-req-0001"
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["X-Request-ID"])
    assert [r["request_id"] for r in _lines(capsys.readouterr().out)
            if r["logger"] == "referral.access"] == ["proxy-req-0001",
                                                     forged.headers["X-Request-ID"]]


@pytest.mark.app_config(LOG_FORMAT="json")
def test_without_a_trusted_proxy_the_incoming_id_is_ignored(client):
    response = client.get("/health", headers={"X-Request-ID": "proxy-req-0001"})
    assert response.headers["X-Request-ID"] != "proxy-req-0001"


@pytest.mark.app_config(LOG_FORMAT="json", PROPAGATE_UNEXPECTED=False)
def test_an_unhandled_error_logs_its_traceback_without_the_form(app, client, world, capsys):
    @app.post("/boom-for-test")
    def _boom() -> str:
        raise RuntimeError(f"failed while handling {IIN}")

    app.config["WTF_CSRF_ENABLED"] = False
    capsys.readouterr()
    response = client.post("/boom-for-test", data={"surname": SURNAME, "email": STRANGER})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] in response.get_data(True)
    out = capsys.readouterr().out
    _assert_clean(out, _secrets())
    error = [r for r in _lines(out) if r["level"] == "ERROR"][0]
    assert "RuntimeError" in error["exc_info"] and "[iin]" in error["exc_info"]
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert error["route"] == "/boom-for-test"


# --- the redaction filter and formatter -------------------------------------------------------


def _emit(handler: logging.Handler, *args, **kw) -> logging.LogRecord:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, *args, None, **kw)
    for f in handler.filters:
        f.filter(record)
    return record


def test_the_redaction_filter_masks_iins_addresses_and_secrets():
    handler = logging.NullHandler()
    logs.install_filters(handler)
    record = _emit(handler, "user %s with %s, token=%s password: 'hunter2' iin 900115399904",
                   ("a.b@example.org", "x", "tok-123"))
    text = record.getMessage()
    for secret in ("a.b@example.org", "tok-123", "hunter2", "900115399904"):
        assert secret not in text
    assert "[email]" in text and "[iin]" in text and "token=[redacted]" in text
    record.extra_field = "mail me at c@d.kz"
    logs.RedactFilter().filter(record)  # already redacted: left as it is
    assert logs.redact("c@d.kz please") == "[email] please"
    # Ids and counts are not IINs: 11 or 13 digits, or digits inside a word, stay.
    assert logs.redact("ids 12345678901 1234567890123 case-7") == "ids 12345678901 " \
        "1234567890123 case-7"
    sql = ("(psycopg.errors.UniqueViolation) duplicate\n[SQL: INSERT INTO people (surname) "
           "VALUES (%(surname)s)]\n[parameters: {'surname': 'Zhumabayeva'}]\n(Background on")
    assert "Zhumabayeva" not in logs.redact(sql) and "[SQL: INSERT" in logs.redact(sql)


def test_the_json_formatter_writes_one_object_with_utc_time():
    record = logging.LogRecord("referral.x", logging.WARNING, __file__, 1, "hello %s", ("w",),
                               None)
    record.request_id, record.user_id = "abc", 7
    data = json.loads(logs.JsonFormatter().format(record))
    assert data["message"] == "hello w" and data["level"] == "WARNING"
    assert data["logger"] == "referral.x" and data["time"].endswith("Z")
    assert data["request_id"] == "abc" and data["user_id"] == 7


def test_log_settings_are_typed(monkeypatch):
    from referral import create_app
    from referral.settings import SettingError, prefixed_overrides

    assert prefixed_overrides({"REFERRAL_LOG_FORMAT": "json", "REFERRAL_LOG_LEVEL": "WARNING"}
                              ) == {"LOG_FORMAT": "json", "LOG_LEVEL": "WARNING"}
    with pytest.raises(SettingError):
        prefixed_overrides({"REFERRAL_LOG_FORMAT": "xml"})
    from referral.config import CONFIGS

    assert CONFIGS["production"].LOG_FORMAT == "json"
    assert CONFIGS["development"].LOG_FORMAT == "text"
    assert create_app  # the app applies them: see the journey test


# --- Celery: task name and id on every line ---------------------------------------------------


@pytest.mark.app_config(LOG_FORMAT="json")
def test_a_task_logs_its_name_and_id(app, capsys):
    from workers import celery_init_app

    celery_app = celery_init_app(app)

    @celery_app.task(name="referral.test_logging_task")
    def _task() -> None:
        logging.getLogger("referral.test").info("working for %s", STRANGER)

    capsys.readouterr()
    result = _task.apply(task_id="task-id-0001")
    assert result.successful()
    records = [r for r in _lines(capsys.readouterr().out) if r["logger"] == "referral.test"]
    assert records and records[0]["task_name"] == "referral.test_logging_task"
    assert records[0]["task_id"] == "task-id-0001"
    assert STRANGER not in records[0]["message"]
    assert logs.current_request_id() is None  # cleared after the task


# --- gunicorn: a real process, its access log and the app's, on stdout ------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("gunicorn exited: " + proc.stdout.read().decode())
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - http://127.0.0.1 only
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not answer")


def test_gunicorn_writes_json_access_lines(database_url, world, tmp_path: Path):
    db.session.commit()
    db.engine.dispose()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REFERRAL_", "TEST_"))}
    env.update({"REFERRAL_ENV": "development", "REFERRAL_LOG_FORMAT": "json",
                "DATABASE_URL": database_url if "://" in database_url
                else f"sqlite:///{database_url}",
                "REFERRAL_INSTANCE_PATH": str(tmp_path), "REFERRAL_ARGON2_TIME_COST": "1",
                "REFERRAL_ARGON2_MEMORY_KIB": "1024", "PYTHONUNBUFFERED": "1"})
    env.pop("REDIS_URL", None)
    gunicorn = Path(sys.executable).parent / "gunicorn"
    proc = subprocess.Popen(
        [str(gunicorn), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "referral:create_app()"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base + "/health", proc)
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(base + "/login").read().decode()
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"csrf_token": csrf, "email": world["officer"].email,
                                       "password": PASSWORD}).encode()
        logged_in = opener.open(base + "/login", data=data)
        ids = [logged_in.headers["X-Request-ID"]]
        for url in ("/password/reset/sekret-token-777?token=sekret-token-777",
                    "/cases/999999?token=sekret-token-777"):
            try:
                ids.append(opener.open(base + url).headers["X-Request-ID"])
            except urllib.error.HTTPError as exc:
                ids.append(exc.headers["X-Request-ID"])
                body = exc.read().decode()
                if url.startswith("/cases"):  # the error page: the id to quote
                    assert exc.headers["X-Request-ID"] in body
    finally:
        proc.terminate()
        out = proc.communicate(timeout=30)[0].decode()
    _assert_clean(out, _secrets("sekret-token-777", world["officer"].email))
    records = _lines(out)
    for record in records:
        assert all(key in record for key in REQUIRED), record
    loggers = {r["logger"] for r in records}
    assert {"gunicorn.error", "gunicorn.access", "referral.access"} <= loggers
    for logger in ("gunicorn.access", "referral.access"):
        lines = {r["request_id"]: r for r in records if r["logger"] == logger}
        for request_id in ids:
            assert all(key in lines[request_id] for key in ACCESS), lines[request_id]
    assert lines[ids[-1]]["status"] == 404


@pytest.mark.app_config(LOG_FORMAT="json")
def test_a_task_queued_by_a_request_logs_that_request_s_id(app, capsys):
    from workers import celery_init_app
    from workers.logs import HEADER, _stamp

    celery_app = celery_init_app(app)

    @celery_app.task(name="referral.test_logging_task_2")
    def _task() -> None:
        logging.getLogger("referral.test").info("queued")

    headers: dict = {}
    logs.bind(request_id="req-queued-0001")
    try:
        _stamp(headers=headers)
    finally:
        logs.clear()
    assert headers == {HEADER: "req-queued-0001"}
    capsys.readouterr()
    _task.apply(headers=headers)
    record = [r for r in _lines(capsys.readouterr().out) if r["logger"] == "referral.test"][0]
    assert record["request_id"] == "req-queued-0001"


def test_the_development_server_s_request_line_is_dropped():
    handler = logging.NullHandler()
    logs.install_filters(handler)
    line = logging.LogRecord("werkzeug", logging.INFO, __file__, 1,
                             '127.0.0.1 - - [05/Dec/2026 16:01:08] "%s" %s %s',
                             ("GET /password/reset/abc?x=1 HTTP/1.1", 200, "-"), None)
    assert not handler.filter(line)
    banner = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, "Press CTRL+C", None, None)
    assert handler.filter(banner)


def test_api_tokens_and_webhook_secrets_are_masked_without_a_label():
    token = "rfa_Q2x8sdf9-Kf_93jdkLmn0pQ"
    secret = "whsec_MfKQ9r8GKYqXl6XqQ3vT3wZtZ3T7KXSqb0i7nQ+/Xo8="
    text = logs.redact(f"calling with {token} and signing with {secret}")
    assert token not in text and secret not in text
    assert "rfa_[redacted]" in text and "whsec_[redacted]" in text


def test_extra_fields_are_redacted_too():
    """Celery's records carry a ``data`` mapping with the task's traceback and arguments."""
    handler = logging.NullHandler()
    logs.install_filters(handler)
    record = logging.LogRecord("celery.app.trace", logging.ERROR, __file__, 1, "raised", None,
                               None)
    record.data = {"traceback": f"[parameters: ('{SURNAME}',)]\n", "args": f"('{STRANGER}',)",
                   "nested": [IIN]}
    handler.filter(record)
    text = logs.JsonFormatter().format(record)
    _assert_clean(text, _secrets())
    assert json.loads(text)["data"]["args"] == "('[email]',)"
