"""Settings that cannot be mistyped: every variable parsed by its type at start-up, a bad value
or an unknown REFERRAL_ name refused with a message naming the variable (referral/settings.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from referral import create_app
from referral.settings import SETTINGS, Boolean, SettingError, check_config


@pytest.fixture
def environ(monkeypatch, tmp_path):
    """A clean environment for create_app() reading the variables (no test mapping)."""
    import os

    for name in list(os.environ):
        if name.startswith("REFERRAL_") or name in {
                "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SMTP_HOST", "SMTP_PORT", "SMTP_TLS",
                "SMTP_USERNAME", "SMTP_PASSWORD", "MAIL_FROM", "PUBLIC_BASE_URL",
                "SESSION_IDLE_MINUTES", "SESSION_LIFETIME_HOURS", "TRUSTED_PROXIES",
                "PASSWORD_RESET_MINUTES"}:
            monkeypatch.delenv(name)
    monkeypatch.setenv("REFERRAL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'settings.sqlite'}")
    return monkeypatch


def test_a_duration_in_seconds_becomes_a_timedelta(environ):
    environ.setenv("REFERRAL_LOGIN_FAILURE_WINDOW", "900")
    environ.setenv("REFERRAL_EMERGENCY_ACCESS_DURATION", "7200")
    environ.setenv("SESSION_IDLE_MINUTES", "10")
    app = create_app()
    assert app.config["LOGIN_FAILURE_WINDOW"] == timedelta(seconds=900)
    assert app.config["EMERGENCY_ACCESS_DURATION"] == timedelta(hours=2)
    assert app.config["SESSION_IDLE_TIMEOUT"] == timedelta(minutes=10)


def test_numbers_lists_and_choices_are_typed(environ):
    environ.setenv("REFERRAL_LOGIN_MAX_FAILURES", "7")
    environ.setenv("REFERRAL_NOTIFY_MEASURE_ENDING_DAYS", "5,2")
    environ.setenv("REFERRAL_NOTIFY_RETRY_CAP_SECONDS", "60.5")
    environ.setenv("REFERRAL_BABEL_DEFAULT_LOCALE", "kk")
    environ.setenv("REFERRAL_REFERRAL_DEADLINES", '{"emergency": 1, "urgent": 12}')
    environ.setenv("SMTP_PORT", "2525")
    app = create_app()
    assert app.config["LOGIN_MAX_FAILURES"] == 7
    assert app.config["NOTIFY_MEASURE_ENDING_DAYS"] == (5, 2)
    assert app.config["NOTIFY_RETRY_CAP_SECONDS"] == 60.5
    assert app.config["BABEL_DEFAULT_LOCALE"] == "kk"
    assert app.config["REFERRAL_DEADLINES"] == {"emergency": timedelta(hours=1),
                                               "urgent": timedelta(hours=12)}
    assert app.config["MAIL_PORT"] == 2525


@pytest.mark.parametrize("name, value", [
    ("REFERRAL_LOGIN_MAX_FAILURES", "abc"),
    ("REFERRAL_LOGIN_MAX_FAILURES", "0"),
    ("REFERRAL_LOGIN_FAILURE_WINDOW", "15m"),
    ("SMTP_PORT", "abc"),
    ("SMTP_PORT", "70000"),
    ("SESSION_IDLE_MINUTES", "ten"),
    ("PUBLIC_BASE_URL", "referral.example.kz"),
    ("DATABASE_URL", "mysql://db/referral"),
    ("REFERRAL_BABEL_DEFAULT_LOCALE", "de"),
    ("REFERRAL_DISPLAY_TIMEZONE", "Mars/Olympus"),
    ("REFERRAL_HSTS", "maybe"),
    ("REFERRAL_ENV", "prod"),
])
def test_a_bad_value_refuses_to_start_naming_the_variable(environ, name, value):
    environ.setenv(name, value)
    with pytest.raises(SettingError) as refused:
        create_app()
    assert name in str(refused.value) and repr(value) in str(refused.value)


def test_a_mistyped_name_refuses_to_start(environ):
    environ.setenv("REFERRAL_LOGIN_MAX_FAILUERS", "3")
    with pytest.raises(SettingError, match="REFERRAL_LOGIN_MAX_FAILUERS is not a setting"):
        create_app()


@pytest.mark.parametrize("text, value", [
    ("true", True), ("TRUE", True), ("1", True), ("yes", True),
    ("false", False), ("0", False), ("no", False), ("No", False),
])
def test_booleans_accept_only_true_false_1_0_yes_no(environ, text, value):
    environ.setenv("REFERRAL_HSTS", text)
    environ.setenv("SMTP_TLS", text)
    app = create_app()
    assert app.config["HSTS"] is value and app.config["MAIL_USE_TLS"] is value


@pytest.mark.parametrize("text", ["on", "off", "y", "2", "", "truee"])
def test_other_boolean_words_are_refused(text):
    with pytest.raises(ValueError):
        Boolean().parse(text)


def test_a_value_of_the_wrong_type_given_in_python_is_refused_too():
    with pytest.raises(SettingError, match="LOGIN_FAILURE_WINDOW"):
        check_config({"LOGIN_FAILURE_WINDOW": 900})
    with pytest.raises(SettingError, match="HSTS"):
        check_config({"HSTS": "yes"})
    check_config({"LOGIN_FAILURE_WINDOW": timedelta(seconds=900), "ARGON2_TIME_COST": None})


def test_every_default_has_its_type():
    from referral.config import CONFIGS

    for config in CONFIGS.values():
        values = {k: getattr(config, k) for k in dir(config) if k.isupper()}
        check_config(values)
    keys = {s.key for s in SETTINGS}
    assert {"LOGIN_FAILURE_WINDOW", "EMERGENCY_ACCESS_DURATION", "MAIL_PORT"} <= keys
