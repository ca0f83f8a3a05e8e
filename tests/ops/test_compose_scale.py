"""docker-compose.scale.yml with docker-compose.yml and deploy/Caddyfile, checked as files (no
Docker engine here): two web replicas behind a health-checked proxy, two workers, one beat."""

from __future__ import annotations

import re

import pytest
import yaml

from referral.paths import PROJECT_ROOT


class _ComposeLoader(yaml.SafeLoader):
    """Reads Compose's ``!reset`` (drop the base file's value) as a marked value."""


class Reset(list):
    pass


_ComposeLoader.add_constructor("!reset", lambda loader, node: Reset())


def _load(name: str) -> dict:
    return yaml.load((PROJECT_ROOT / name).read_text("utf-8"), Loader=_ComposeLoader)  # noqa: S506


def _merge(base: dict, override: dict) -> dict:
    """Compose's merge, as far as these files need it: mappings merge, ``!reset`` empties,
    other values replace."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Reset):
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


@pytest.fixture(scope="module")
def scaled() -> dict:
    return _merge(_load("docker-compose.yml"), _load("docker-compose.scale.yml"))


@pytest.fixture(scope="module")
def caddyfile() -> str:
    return (PROJECT_ROOT / "deploy" / "Caddyfile").read_text("utf-8")


def _command(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def _replicas(service: dict) -> int:
    return int(service.get("deploy", {}).get("replicas", 1))


def test_two_web_and_two_worker_replicas_and_exactly_one_beat(scaled):
    s = scaled["services"]
    assert _replicas(s["web"]) == 2
    assert _replicas(s["worker"]) == 2
    beats = [name for name, svc in s.items() if re.search(r"\bcelery\b.* beat\b", _command(svc))]
    assert beats == ["beat"] and _replicas(s["beat"]) == 1
    for name, svc in s.items():
        assert "-B" not in _command(svc).split() and "--beat" not in _command(svc), name


def test_only_the_proxy_is_published(scaled):
    s = scaled["services"]
    assert "ports" not in s["web"], "two replicas cannot bind one host port"
    published = {name for name, svc in s.items() if svc.get("ports")}
    assert published == {"proxy"}
    assert s["proxy"]["image"].startswith("caddy")
    assert s["proxy"]["depends_on"]["web"]["condition"] == "service_healthy"
    mounts = {v.split(":")[1]: v.split(":")[0] for v in s["proxy"]["volumes"]}
    assert (PROJECT_ROOT / mounts["/etc/caddy/Caddyfile"].removeprefix("./")).exists()
    assert "/etc/caddy/Caddyfile" in _command(s["proxy"])


def test_the_proxy_sends_to_every_web_replica_and_checks_their_health(scaled, caddyfile):
    block = re.search(r"reverse_proxy ([^{\n]+)\{(.*?)\n\t\}", caddyfile, re.S)
    assert block, "one reverse_proxy block"
    upstreams = block.group(1).split()
    project = scaled["name"]
    count = _replicas(scaled["services"]["web"])
    assert upstreams == [f"{project}-web-{n}:8000" for n in range(1, count + 1)]
    options = dict(line.split(None, 1) for line in
                   (raw.strip() for raw in block.group(2).splitlines())
                   if line and not line.startswith("#"))
    assert options["health_uri"] == "/health"  # the web healthcheck's page
    assert "/health" in " ".join(scaled["services"]["web"]["healthcheck"]["test"])
    assert "health_interval" in options
    # One hop exactly: the client's address, replacing whatever the client sent.
    assert re.search(r"header_up X-Forwarded-For \{remote_host\}", caddyfile)


def test_web_trusts_exactly_the_one_proxy(scaled):
    env = scaled["services"]["web"]["environment"]
    assert str(env["TRUSTED_PROXIES"]) == "1"


def test_all_web_replicas_sign_sessions_with_the_same_secret(scaled):
    # Replicas of one service share its env_file; no replica-specific SECRET_KEY may exist.
    web = scaled["services"]["web"]
    assert web["env_file"] in (".env", [".env"])
    assert "SECRET_KEY" not in web["environment"]
    text = (PROJECT_ROOT / "docker-compose.scale.yml").read_text("utf-8")
    assert not re.search(r"^\s*SECRET_KEY\s*:", text, re.M)
    app_services = [n for n, svc in scaled["services"].items() if svc.get("build") == "."]
    assert {n for n in app_services if scaled["services"][n]["env_file"] in (".env", [".env"])} \
        == set(app_services)


def test_the_proxy_address_is_documented():
    example = (PROJECT_ROOT / ".env.example").read_text("utf-8")
    assert re.search(r"^#?\s*SITE_ADDRESS=", example, re.M)
