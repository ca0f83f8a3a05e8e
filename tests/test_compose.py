"""docker-compose.yml, Dockerfile and .env.example: checked as files (no Docker engine here)."""

from __future__ import annotations

import json
import re
import shlex

import pytest
import yaml

from referral.config import environment_overrides
from referral.paths import PROJECT_ROOT

APP_SERVICES = ("web", "worker", "beat", "migrate")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text("utf-8"))


def _command(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def _test(service: dict) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


def test_services(compose):
    assert set(compose["services"]) == {"web", "worker", "beat", "migrate", "db", "redis",
                                        "minio"}


def test_commands(compose):
    s = compose["services"]
    assert re.search(r"^gunicorn .*referral:create_app\(\)", _command(s["web"]))
    assert re.search(r"^celery -A workers\.make_celery worker\b", _command(s["worker"]))
    assert re.search(r"^celery -A workers\.make_celery beat\b", _command(s["beat"]))
    assert re.search(r"\bflask .*\bdb upgrade && flask .*\bdb-grant-app-role referral_app\b",
                     _command(s["migrate"]))
    assert s["migrate"].get("restart") == "no"


def test_exactly_one_beat(compose):
    beats = [name for name, svc in compose["services"].items() if " beat" in _command(svc)]
    assert beats == ["beat"]
    assert compose["services"]["beat"].get("deploy", {}).get("replicas", 1) == 1
    assert "beat" not in _command(compose["services"]["worker"]).split()
    assert "-B" not in _command(compose["services"]["worker"]).split()


def test_app_services_wait_for_migrations_and_healthy_backends(compose):
    s = compose["services"]
    for name in ("web", "worker", "beat"):
        deps = s[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully", name
        assert deps["db"]["condition"] == "service_healthy", name
        assert deps["redis"]["condition"] == "service_healthy", name
    assert s["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"


def test_healthchecks(compose):
    s = compose["services"]
    assert "/health" in _test(s["web"])
    assert "pg_isready" in _test(s["db"])
    assert "redis-cli ping" in _test(s["redis"])


def test_worker_and_beat_healthchecks(compose):
    """Each app container checks itself: the worker its own node, the beat its heartbeat."""
    s = compose["services"]
    worker = s["worker"]["healthcheck"]
    # CMD-SHELL so that $HOSTNAME (written $$HOSTNAME for compose) is this container's node.
    assert worker["test"][0] == "CMD-SHELL"
    assert re.fullmatch(r"celery -A workers\.make_celery inspect ping -d celery@\$\$HOSTNAME"
                        r"( --timeout \d+)?", worker["test"][1])
    beat = s["beat"]["healthcheck"]
    assert beat["test"][0] == "CMD"
    args = beat["test"][1:]
    assert args[:5] == ["flask", "--app", "referral", "ops", "beat-alive"]
    # Stale after three missed heartbeats (the task runs every 60 s).
    assert int(args[args.index("--max-age") + 1]) >= 120
    for check in (worker, beat, s["web"]["healthcheck"]):
        for key in ("interval", "timeout", "start_period"):
            assert re.fullmatch(r"\d+s", check[key]), (key, check)
        assert int(check["timeout"][:-1]) < int(check["interval"][:-1])
        assert check["retries"] >= 1
    assert s["migrate"]["healthcheck"] == {"disable": True}  # one-shot: not the image's check


def test_storage(compose):
    s = compose["services"]
    assert s["db"]["image"].startswith("postgres")
    assert s["redis"]["image"].startswith("redis")
    assert "--appendonly yes" in _command(s["redis"])
    db_volume = [v for v in s["db"]["volumes"] if v.endswith(":/var/lib/postgresql/data")]
    assert db_volume and db_volume[0].split(":")[0] in compose["volumes"]
    redis_volume = [v for v in s["redis"]["volumes"] if v.endswith(":/data")]
    assert redis_volume and redis_volume[0].split(":")[0] in compose["volumes"]


def test_documents_are_kept_in_minio_with_a_volume_and_a_healthcheck(compose):
    s = compose["services"]
    minio = s["minio"]
    assert minio["image"].startswith("minio/minio:RELEASE.")  # a pinned release
    assert _command(minio).startswith("server /data")
    volume = [v for v in minio["volumes"] if v.endswith(":/data")]
    assert volume and volume[0].split(":")[0] in compose["volumes"]
    assert _test(minio) == "CMD mc ready local"
    assert int(minio["healthcheck"]["timeout"][:-1]) <= int(minio["healthcheck"]["interval"][:-1])
    for name in ("MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"):
        assert minio["environment"][name].startswith("${" + name)
    for name in ("web", "worker", "beat"):
        env = s[name]["environment"]
        assert env["REFERRAL_DOCUMENTS_STORE"] == "s3", name
        assert env["REFERRAL_DOCUMENTS_S3_ENDPOINT"] == "http://minio:9000", name
        assert env["REFERRAL_DOCUMENTS_S3_ACCESS_KEY"].startswith("${MINIO_ROOT_USER")
        assert env["REFERRAL_DOCUMENTS_S3_SECRET_KEY"].startswith("${MINIO_ROOT_PASSWORD")
        assert s[name]["depends_on"]["minio"]["condition"] == "service_healthy", name
    assert "REFERRAL_DOCUMENTS_KEY" not in (PROJECT_ROOT / "docker-compose.yml").read_text(
        "utf-8")  # from .env: a secret, never in the file
    assert re.search(r"^REFERRAL_DOCUMENTS_KEY=$", (PROJECT_ROOT / ".env.example").read_text(
        "utf-8"), re.M)


def test_app_services_read_env_and_run_in_production(compose):
    for name in APP_SERVICES:
        svc = compose["services"][name]
        assert svc["env_file"] in (".env", [".env"]), name
        env = svc["environment"]
        assert env["REFERRAL_ENV"] == "production"
        assert env["DATABASE_URL"].startswith("postgresql")
        assert env["REDIS_URL"].startswith("redis://redis:")
        assert svc.get("build") == "."


def _db_user(url: str) -> str:
    return re.match(r"postgresql\+psycopg://([^:@]+)[:@]", url).group(1)


def test_migrations_run_as_the_owner_and_the_app_as_a_role_that_owns_nothing(compose):
    s = compose["services"]
    assert _db_user(s["migrate"]["environment"]["DATABASE_URL"]) == "referral_owner"
    for name in ("web", "worker", "beat"):
        assert _db_user(s[name]["environment"]["DATABASE_URL"]) == "referral_app", name
    db_env = s["db"]["environment"]
    assert db_env["POSTGRES_USER"] not in ("referral_app", "referral_owner")  # the superuser
    for name in ("POSTGRES_PASSWORD", "DB_OWNER_PASSWORD", "DB_APP_PASSWORD"):
        assert db_env[name].startswith("${" + name), name
    init = [v for v in s["db"]["volumes"] if ":/docker-entrypoint-initdb.d" in v]
    assert init, "the db service creates the two roles on first start"
    script = (PROJECT_ROOT / init[0].split(":")[0].removeprefix("./") / "01-roles.sh")
    text = script.read_text("utf-8")
    assert "CREATE ROLE referral_owner LOGIN" in text and "CREATE ROLE referral_app LOGIN" in text
    assert "OWNER TO referral_owner" in text and "SUPERUSER" not in text.replace("NOSUPERUSER", "")


def test_no_secret_is_written_into_the_compose_file(compose):
    text = (PROJECT_ROOT / "docker-compose.yml").read_text("utf-8")
    assert not re.search(r"(?<![A-Z0-9_])SECRET_KEY\b", text) or "${SECRET_KEY" in text
    password = compose["services"]["db"]["environment"]["POSTGRES_PASSWORD"]
    assert password.startswith("${POSTGRES_PASSWORD")


def _dockerfile() -> list[str]:
    text = (PROJECT_ROOT / "Dockerfile").read_text("utf-8").replace("\\\n", " ")
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def test_dockerfile():
    lines = _dockerfile()
    bases = [line for line in lines if line.startswith("FROM ")]
    assert bases and all(line.startswith("FROM python:3.11-slim") for line in bases)
    runs = " ".join(line for line in lines if line.startswith("RUN "))
    # The lock and the complete wheel: tests/ops/test_build_files.py checks the details.
    assert "--require-hashes -r /tmp/requirements.lock" in runs
    assert "|| true" not in runs, "a failed install must fail the build"
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")


def test_dockerfile_healthcheck_and_metrics_directory():
    lines = _dockerfile()
    checks = [line for line in lines if line.startswith("HEALTHCHECK ")]
    assert len(checks) == 1
    options, _, command = checks[0].partition(" CMD ")
    assert re.search(r"--interval=\d+s", options) and re.search(r"--timeout=\d+s", options)
    argv = json.loads(command)  # the exec form: no shell, no curl in the slim image
    assert argv[:2] == ["python", "-c"]
    assert "urllib.request.urlopen('http://127.0.0.1:8000/health'" in argv[2]
    compile(argv[2], "healthcheck", "exec")
    env = " ".join(line for line in lines if line.startswith("ENV "))
    assert re.search(r"PROMETHEUS_MULTIPROC_DIR=/\S+", env)
    assert "COPY gunicorn.conf.py" in " ".join(lines)  # its hooks empty and clean that directory


def test_the_image_has_pg_dump_of_the_servers_major_version(compose):
    """`flask backup` runs pg_dump in the image; pg_dump refuses a server newer than itself."""
    server = compose["services"]["db"]["image"]
    major = re.fullmatch(r"postgres:(\d+)(?:[.-].*)?", server).group(1)
    runs = " ".join(line for line in _dockerfile() if line.startswith("RUN "))
    assert f"postgresql-client-{major}" in runs


def test_files_that_docker_and_compose_reference_exist(compose):
    for line in _dockerfile():
        if line.startswith("COPY "):
            for source in shlex.split(line)[1:-1]:
                if not source.startswith("--") and "--from=" not in line:
                    assert (PROJECT_ROOT / source).exists(), source
    assert (PROJECT_ROOT / ".env.example").exists()
    assert (PROJECT_ROOT / "workers" / "make_celery.py").exists()
    assert (PROJECT_ROOT / "migrations" / "env.py").exists()
    for name in APP_SERVICES:
        assert compose["services"][name]["build"] == "."


class _Recorder(dict):
    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def get(self, key, default=None):
        self.seen.add(key)
        return default

    def __getitem__(self, key):
        self.seen.add(key)
        raise KeyError(key)


def test_env_example_documents_every_variable():
    example = (PROJECT_ROOT / ".env.example").read_text("utf-8")
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.M))
    recorder = _Recorder()
    environment_overrides(recorder)
    compose_vars = set(re.findall(r"\$\{([A-Z0-9_]+)",
                                  (PROJECT_ROOT / "docker-compose.yml").read_text("utf-8")))
    needed = recorder.seen | compose_vars | {"REFERRAL_ENV", "SECRET_KEY"}
    assert needed - documented == set()
    for line in example.splitlines():
        if line.startswith(("SECRET_KEY=", "POSTGRES_PASSWORD=", "SMTP_PASSWORD=")):
            value = line.split("=", 1)[1]
            assert value == "" or "change-me" in value, line


def test_environment_settings_reach_the_config(monkeypatch, tmp_path):
    from datetime import timedelta

    from referral import create_app

    monkeypatch.delenv("REFERRAL_ENV", raising=False)
    monkeypatch.setenv("REFERRAL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "10")
    monkeypatch.setenv("SESSION_LIFETIME_HOURS", "4")
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/referral")
    monkeypatch.setenv("REDIS_URL", "redis://redis:6379/0")
    app = create_app()
    assert app.config["SESSION_IDLE_TIMEOUT"] == timedelta(minutes=10)
    assert app.config["SESSION_ABSOLUTE_LIFETIME"] == timedelta(hours=4)
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=4)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db:5432/referral"
    assert app.config["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    client = app.test_client()
    response = client.get("/no-such-page", headers={"X-Forwarded-Proto": "https",
                                                    "X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 404
