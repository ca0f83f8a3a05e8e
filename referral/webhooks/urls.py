"""Which URLs an endpoint may have: HTTPS to a public address (no SSRF into our network).

Plain http only to this machine (localhost, 127.0.0.1, ::1) and only where
WEBHOOKS_ALLOW_HTTP_LOCALHOST is on (development and tests). Private, loopback, link-local and
reserved addresses are refused unless WEBHOOKS_ALLOW_PRIVATE is on (tests), or for this machine
with the http allowance. Checked when saved and again before each POST (DNS may change).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from flask_babel import gettext as _

from referral.errors import DomainError
from referral.webhooks.config import setting

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


class UnsafeUrl(DomainError):
    """A URL the app will not post to."""


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise UnsafeUrl(_("The address's host name could not be found.")) from None
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return address.is_global and not address.is_multicast


def check_url(url: str, *, resolve: bool = True) -> str:
    """The URL, stripped, or UnsafeUrl saying why it cannot be used."""
    url = (url or "").strip()
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host or parts.username or parts.password:
        raise UnsafeUrl(_("Enter a full address: https://…"))
    local = host in LOCAL_HOSTS and setting("WEBHOOKS_ALLOW_HTTP_LOCALHOST")
    if parts.scheme == "http" and not local:
        raise UnsafeUrl(_("Only secure addresses are allowed: https://…"))
    if not resolve or local or setting("WEBHOOKS_ALLOW_PRIVATE"):
        return url
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeUrl(_("Enter a full address: https://…")) from None
    if not all(_public(a) for a in _addresses(host, port)):
        raise UnsafeUrl(_("The address leads into a private network."))
    return url
