"""The development mailbox: `make run`'s SMTP catcher, the page that reads it, and the demo's
alerts when no SMTP server answers. Real SMTP over sockets throughout; no mock mail server.
"""

from __future__ import annotations

import secrets
import signal
import smtplib
import socket
import subprocess
import sys
from collections.abc import Iterator
from email.header import Header
from email.mime.text import MIMEText
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from referral import config as settings
from referral.access.scope import acting_as, system_actor
from referral.notifications import devmail, jobs
from referral.notifications.kinds import get_kind, title_text
from referral.notifications.models import Delivery, DeliveryStatus, Notification
from referral.paths import PROJECT_ROOT
from referral.referrals.models import Referral
from tests.fixtures import fresh, login
from tests.notifications.factories import add_survivor, free_port, make_case, wait_for

# Production as deployed, but with second factors optional: this file is about the mailbox, and
# tests/accounts covers the enrolment that production requires.
PRODUCTION = {"ENV_NAME": "production", "SECRET_KEY": "p" * 40, "SECOND_FACTOR_ROLES": "none",
              "DOCUMENTS_KEY": "7eo/eY//Em8tBNr5fiqkSFOlqOz7YibvnOSJenKc5dM="}


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def catcher(app: Flask, tmp_path: Path) -> Iterator[Path]:
    """The catcher in this process on a free port; the app sends to it and reads its folder."""
    maildir, port = tmp_path / "dev-mailbox", free_port()
    controller = devmail.serve("127.0.0.1", port, maildir)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, DEV_MAILBOX_DIR=str(maildir))
    yield maildir
    controller.stop()


def _caught(maildir: Path) -> list[devmail.CaughtMail]:
    return devmail.list_mail(maildir)[0]


# --- the catcher ---------------------------------------------------------------------------------


def test_the_catcher_process_receives_and_stores_a_message(tmp_path):
    """Started as devserver starts it; a UTF-8 message over real SMTP is kept and read back."""
    maildir, port = tmp_path / "box", free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "referral.notifications.devmail", "--port", str(port),
         "--maildir", str(maildir)], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: _listening(port) or proc.poll() is not None, timeout=30,
                 what="the catcher to listen")
        assert proc.poll() is None
        message = MIMEText("Жолдамаға жауап беріңіз.\nhttp://127.0.0.1:5000/referrals/7\n",
                           "plain", "utf-8")
        message["Subject"] = Header("Жаңа жолдама R-2026-000007", "utf-8")
        message["From"], message["To"] = "referral@localhost", "duty@crisis.example.org"
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            refused = smtp.send_message(message, to_addrs=["duty@crisis.example.org",
                                                           "copy@crisis.example.org"])
        assert refused == {}
        [mail] = _caught(maildir)
        assert mail.subject == "Жаңа жолдама R-2026-000007"
        assert mail.recipients == "duty@crisis.example.org, copy@crisis.example.org"
        assert mail.sender == "referral@localhost"
        shown = devmail.get_mail(maildir, mail.key)
        assert shown is not None and shown.body.startswith("Жолдамаға жауап беріңіз.")
        assert len(list((maildir / "new").iterdir())) == 1 and not any((maildir / "tmp").iterdir())
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0  # a clean stop: devserver takes others down otherwise


def test_unknown_or_hostile_keys_find_nothing(tmp_path):
    key = devmail.store(tmp_path, b"Subject: hi\r\n\r\nbody\r\n", recipients=["a@example.org"])
    assert devmail.get_mail(tmp_path, key) is not None
    for bad in ("../new/" + key, key + "x", "", "a/b", "..", "\x00"):
        assert devmail.get_mail(tmp_path, bad) is None


def test_an_empty_or_missing_folder_lists_nothing(tmp_path):
    assert devmail.list_mail(tmp_path / "never-created") == ([], 0)


# --- a referral notice in Kazakh, end to end -----------------------------------------------------


def _send_referral_in_app(client: Any, world: dict[str, Any], case: Any) -> Any:
    login(client, world["officer"])
    return client.post(f"/referrals/new?case_id={case.id}&service=shelter", data={
        "token": secrets.token_urlsafe(16), "service_code": "shelter",
        "receiver_agency_id": world["crisis_agency"].id, "urgency": "urgent",
        "reason": "Needs a safe place tonight", "consented": "yes",
        "categories": ["identity_contact"]})


def test_the_development_mailbox_receives_a_referral_notice_in_kazakh(
        app, client, world, catcher):
    """An officer sends a referral to an agency whose worker reads Kazakh; the worker's e-mail
    goes over real SMTP to the catcher, and the administrator reads it, in Kazakh, on the page."""
    world["crisis"].locale = "kk"
    case = make_case(world["police"], world["officer"])
    add_survivor(case)
    from referral.extensions import db

    db.session.commit()
    assert _send_referral_in_app(client, world, case).status_code == 302
    fresh()
    with acting_as(system_actor("test")):
        reference = db.session.execute(select(Referral.reference)).scalar_one()
    for delivery_id in _publish():
        assert jobs.deliver(delivery_id) is None
    [mail] = _caught(catcher)
    kind = get_kind("referral.sent")
    with force_locale("kk"):
        subject, sentence = title_text(kind, reference), str(kind.sentence)
        opened = str(_("Details are shown only in the app, after you log in."))
    with force_locale("en"):
        assert title_text(kind, reference) != subject  # the catalogue really has Kazakh
    assert mail.recipients == world["crisis"].email
    assert mail.subject == subject == f"Жаңа жолдама {reference}"
    body = devmail.get_mail(catcher, mail.key).body
    assert sentence in body and opened in body
    assert "A new referral was sent" not in body and "Needs a safe place" not in body
    fresh()
    assert db.session.execute(select(Delivery.status)).scalars().all() == [DeliveryStatus.SENT]

    # The administrator (English) finds it on the development mailbox page, still in Kazakh.
    client.post("/logout")
    login(client, world["admin"])
    listing = client.get("/admin/dev-mailbox")
    assert listing.status_code == 200
    assert subject in listing.get_data(as_text=True)
    page = client.get(f"/admin/dev-mailbox/{mail.key}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert subject in text and sentence in text and world["crisis"].email in text


def _publish() -> list[int]:
    queued: list[int] = []
    jobs.publish(queued.append)
    return queued


# --- the page: administrators in development only ------------------------------------------------


def _one_caught(maildir: Path) -> str:
    return devmail.store(maildir, MIMEText("Body line", "plain", "utf-8").as_bytes()
                         .replace(b"MIME-Version", b"Subject: Caught one\nMIME-Version"),
                         recipients=["someone@test.example.org"])


@pytest.mark.app_config(ENV_NAME="development")
def test_administrators_read_the_mailbox_in_development(app, client, world, tmp_path):
    app.config["DEV_MAILBOX_DIR"] = str(tmp_path)
    key = _one_caught(tmp_path)
    login(client, world["admin"])
    listing = client.get("/admin/dev-mailbox").get_data(as_text=True)
    assert "Caught one" in listing and "someone@test.example.org" in listing
    assert f'href="/admin/dev-mailbox/{key}"' in listing
    assert 'href="/admin/dev-mailbox"' in client.get("/").get_data(as_text=True)  # in the nav
    shown = client.get(f"/admin/dev-mailbox/{key}").get_data(as_text=True)
    assert "Body line" in shown and "someone@test.example.org" in shown
    assert client.get("/admin/dev-mailbox/1.2.nothing").status_code == 404


def test_the_mailbox_speaks_the_administrators_language(app, client, world, tmp_path):
    app.config["DEV_MAILBOX_DIR"] = str(tmp_path)
    world["admin"].locale = "ru"
    from referral.extensions import db

    db.session.commit()
    login(client, world["admin"])
    page = client.get("/admin/dev-mailbox").get_data(as_text=True)
    with force_locale("ru"):
        heading, empty = _("Development mailbox"), _("No e-mail has been caught yet.")
    assert heading != "Development mailbox" and heading in page and empty in page


def test_other_roles_get_404_and_no_link(app, client, world, tmp_path):
    app.config["DEV_MAILBOX_DIR"] = str(tmp_path)
    key = _one_caught(tmp_path)
    for who in ("officer", "manager", "coordinator"):
        client = app.test_client()
        login(client, world[who])
        assert client.get("/admin/dev-mailbox").status_code == 404
        assert client.get(f"/admin/dev-mailbox/{key}").status_code == 404
        assert "/admin/dev-mailbox" not in client.get("/").get_data(as_text=True)
    assert app.test_client().get("/admin/dev-mailbox").status_code == 302  # to the login page


def test_without_a_catcher_the_page_does_not_exist(client, world):
    assert client.get("/admin/dev-mailbox").status_code == 404
    login(client, world["admin"])
    assert client.get("/admin/dev-mailbox").status_code == 404
    assert "/admin/dev-mailbox" not in client.get("/").get_data(as_text=True)


@pytest.mark.app_config(**PRODUCTION)
def test_production_configuration_refuses_the_page_even_with_a_folder(app, world, tmp_path):
    assert app.config["ENV_NAME"] == "production"
    app.config["DEV_MAILBOX_DIR"] = str(tmp_path)  # set by mistake: still refused
    key = _one_caught(tmp_path)
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"  # production's cookies are Secure
    assert client.get("/admin/dev-mailbox").status_code == 404  # not even a login redirect
    assert login(client, world["admin"]).status_code == 302
    home = client.get("/")
    assert home.status_code == 200 and "/admin/dev-mailbox" not in home.get_data(as_text=True)
    assert client.get("/admin/system").status_code == 200  # the administrator is logged in
    assert client.get("/admin/dev-mailbox").status_code == 404
    assert client.get(f"/admin/dev-mailbox/{key}").status_code == 404


# --- no alert flood when the demo has no SMTP server ---------------------------------------------


def _queue_failing_emails(world: dict[str, Any], count: int) -> list[int]:
    from referral.events.service import emit
    from referral.extensions import db
    from tests.fixtures import actor
    from tests.notifications.factories import TEST_KIND

    for _n in range(count):
        case = make_case(world["police"], world["officer"])
        with acting_as(actor(world["officer"])):
            emit(TEST_KIND, subject_type="case", subject_id=case.id, case_id=case.id,
                 receiver_agency_id=world["crisis_agency"].id)
    db.session.commit()
    return _publish()


def _admin_alerts(world: dict[str, Any]) -> list[int]:
    _publish()  # the alert events become in-app rows
    fresh()
    from referral.extensions import db

    return list(db.session.execute(select(Notification.subject_id).where(
        Notification.user_id == world["admin"].id,
        Notification.kind == "system.delivery_failed").order_by(Notification.id)).scalars())


def _fail_all(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        assert jobs.deliver(delivery_id) is None
    fresh()


def test_development_alerts_once_per_outage_not_per_email(app, world):
    app.config.update(NOTIFY_ALERT_EVERY_FAILURE=False, NOTIFY_MAX_ATTEMPTS=1,
                      MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nobody listens
    first_outage = _queue_failing_emails(world, 3)
    _fail_all(first_outage)
    assert _admin_alerts(world) == [first_outage[0]]  # one alert, not three
    from referral.extensions import db

    assert db.session.execute(select(Delivery.status)).scalars().all() == [
        DeliveryStatus.FAILED] * 3  # every failure is still on the system-health page

    # The server is back: an e-mail goes out, and the next outage gets its own alert.
    from aiosmtpd.controller import Controller

    from tests.notifications.factories import SmtpSink

    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        app.config["MAIL_PORT"] = sink.port
        [sent] = _queue_failing_emails(world, 1)
        assert jobs.deliver(sent) is None and len(sink.messages) == 1
    finally:
        controller.stop()
    app.config["MAIL_PORT"] = free_port()
    second_outage = _queue_failing_emails(world, 2)
    _fail_all(second_outage)
    assert _admin_alerts(world) == [first_outage[0], second_outage[0]]


def test_production_still_alerts_every_failed_email(app, world):
    assert settings.ProductionConfig.NOTIFY_ALERT_EVERY_FAILURE is True
    assert settings.Config.NOTIFY_ALERT_EVERY_FAILURE is False  # development only
    assert app.config["NOTIFY_ALERT_EVERY_FAILURE"] is True  # the tests pin production's rule
    app.config.update(NOTIFY_MAX_ATTEMPTS=1, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    failing = _queue_failing_emails(world, 3)
    _fail_all(failing)
    assert _admin_alerts(world) == failing


@pytest.mark.app_config(**PRODUCTION)
def test_production_configuration_alerts_every_failure(app, world):
    assert app.config["NOTIFY_ALERT_EVERY_FAILURE"] is True
    app.config.update(NOTIFY_MAX_ATTEMPTS=1, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    failing = _queue_failing_emails(world, 2)
    _fail_all(failing)
    assert _admin_alerts(world) == failing


# --- make run: the supervised catcher ------------------------------------------------------------


class _FakeProcess:
    """Stands in for a child: records how it was started and reports it stopped at once."""

    started: list[tuple[list[str], dict[str, str]]] = []

    def __init__(self, cmd: list[str], *, env: dict[str, str], **_: Any) -> None:
        _FakeProcess.started.append((list(cmd), dict(env)))

    def poll(self) -> int:
        return 0


def _run_devserver(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                   **environ: str) -> dict[str, tuple[list[str], dict[str, str]]]:
    """devserver.main() with every child replaced: which commands, with which environment."""
    from referral import devserver

    for name in ("SMTP_HOST", "SMTP_PORT", "REFERRAL_DEV_MAILBOX", "REFERRAL_DEV_MAILBOX_DIR",
                 "PUBLIC_BASE_URL", "PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REFERRAL_INSTANCE_PATH", str(tmp_path))
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    _FakeProcess.started = []
    monkeypatch.setattr(devserver.subprocess, "Popen", _FakeProcess)
    monkeypatch.setattr(devserver, "_flask", lambda *a, **k: "")
    monkeypatch.setattr(devserver, "_wait_until_up", lambda *a, **k: False)
    monkeypatch.setattr(devserver.signal, "signal", lambda *a: None)
    assert devserver.main() == 1  # every fake child "stopped"
    by_name = {}
    for cmd, env in _FakeProcess.started:
        name = ("mailbox" if "referral.notifications.devmail" in cmd else "web" if "run" in cmd
                else "worker" if "worker" in cmd else "beat")
        by_name[name] = (cmd, env)
    return by_name


def test_make_run_starts_the_catcher_and_points_every_child_at_it(monkeypatch, tmp_path):
    started = _run_devserver(monkeypatch, tmp_path)
    assert set(started) == {"mailbox", "worker", "beat", "web"}
    assert next(iter(started)) == "mailbox"  # listening before the worker's first e-mail
    cmd, _env = started["mailbox"]
    port = cmd[cmd.index("--port") + 1]
    maildir = cmd[cmd.index("--maildir") + 1]
    assert maildir == str(tmp_path / "dev-mailbox")
    for child in ("worker", "beat", "web"):
        env = started[child][1]
        assert (env["SMTP_HOST"], env["SMTP_PORT"]) == ("127.0.0.1", port), child
        assert env["REFERRAL_DEV_MAILBOX_DIR"] == maildir
        assert env["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"  # links in e-mails
    # ...and the app those children build reads it so (environment_overrides, REFERRAL_*).
    from referral import create_app

    for key in ("SMTP_HOST", "SMTP_PORT", "REFERRAL_DEV_MAILBOX_DIR"):
        monkeypatch.setenv(key, started["web"][1][key])
    built = create_app()
    assert (built.config["MAIL_SERVER"], built.config["MAIL_PORT"]) == ("127.0.0.1", int(port))
    assert devmail.enabled(built) and built.config["DEV_MAILBOX_DIR"] == maildir


def test_make_run_without_the_catcher_when_asked_or_when_smtp_is_configured(
        monkeypatch, tmp_path):
    started = _run_devserver(monkeypatch, tmp_path, REFERRAL_DEV_MAILBOX="off")
    assert set(started) == {"worker", "beat", "web"}
    assert "REFERRAL_DEV_MAILBOX_DIR" not in started["web"][1]
    started = _run_devserver(monkeypatch, tmp_path, REFERRAL_DEV_MAILBOX="off", PORT="5123")
    assert started["web"][1]["PUBLIC_BASE_URL"] == "http://127.0.0.1:5123"
    assert "5123" in started["web"][0]
    started = _run_devserver(monkeypatch, tmp_path, SMTP_HOST="smtp.example.org",
                             SMTP_PORT="2525")
    assert set(started) == {"worker", "beat", "web"}
    for _cmd, env in started.values():
        assert (env["SMTP_HOST"], env["SMTP_PORT"]) == ("smtp.example.org", "2525")



# --- 360 px, in Kazakh --------------------------------------------------------------------------


@pytest.mark.browser
def test_the_mailbox_fits_a_360_px_phone_in_kazakh(app, world, tmp_path, browser, live_server):
    """A long subject, address and link wrap instead of widening the page."""
    from referral.extensions import db
    from tests.fixtures import PASSWORD

    app.config["DEV_MAILBOX_DIR"] = str(tmp_path)
    world["admin"].locale = "kk"
    db.session.commit()
    long_link = "http://127.0.0.1:5000/referrals/" + "9" * 120
    message = MIMEText(f"Жолдама.\n{long_link}\n", "plain", "utf-8")
    message["Subject"] = Header("Жаңа жолдама " + "R-2026-000001" * 8, "utf-8")
    key = devmail.store(tmp_path, message.as_bytes(),
                        recipients=["a.very.long.mailbox.name.for.testing@crisis-centre.example.org"])
    context = browser.new_context(base_url=live_server, viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("E-mail").fill(world["admin"].email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        with force_locale("kk"):
            heading = _("Development mailbox")
        for path in ("/admin/dev-mailbox", f"/admin/dev-mailbox/{key}"):
            page.goto(path)
            assert page.get_by_role("heading", level=1).count() == 1
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
        assert long_link in page.get_by_test_id("mail-body").inner_text()
        page.goto("/admin/dev-mailbox")
        assert page.get_by_role("heading", level=1).inner_text() == heading
    finally:
        context.close()
