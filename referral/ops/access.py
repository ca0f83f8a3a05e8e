"""Who may read /metrics: listed client addresses, or a bearer token; anyone else gets 404.

The client address is the one the app believes (behind ``TRUSTED_PROXIES`` the forwarded one),
so a scrape through the public proxy is refused unless it carries the token.
"""

from __future__ import annotations

import hmac
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from flask import Flask, Request

from referral.config import ConfigurationError

DEFAULT_ALLOWED = "127.0.0.1/32,::1/128"


@lru_cache(maxsize=8)
def networks(spec: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """``METRICS_ALLOWED_ADDRESSES``: addresses or CIDR blocks separated by commas or spaces."""
    parts = spec.replace(",", " ").split()
    return tuple(ip_network(part, strict=False) for part in parts)


def check_config(app: Flask) -> None:
    """At start-up: a mistyped address stops the app instead of locking Prometheus out."""
    spec = app.config.get("METRICS_ALLOWED_ADDRESSES", DEFAULT_ALLOWED)
    try:
        networks(spec)
    except ValueError as exc:
        raise ConfigurationError(f"METRICS_ALLOWED_ADDRESSES={spec!r} is not valid: expected "
                                 f"addresses or CIDR blocks separated by commas") from exc


def _token_ok(request: Request, token: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def _address_ok(request: Request, spec: str) -> bool:
    try:
        address = ip_address(request.remote_addr or "")
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks(spec))


def may_read_metrics(app: Flask, request: Request) -> bool:
    config = app.config
    return (_token_ok(request, config.get("METRICS_TOKEN") or "")
            or _address_ok(request, config.get("METRICS_ALLOWED_ADDRESSES", DEFAULT_ALLOWED)))
