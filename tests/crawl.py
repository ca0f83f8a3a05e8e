"""Every page a demo user reaches, found by following links with the Flask test client.

A crawl, not a list (as tests/test_narrow_screens.py does in the browser): a page added later is
visited without editing the tests that use it. No browser, so a crawl of all roles takes seconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any
from urllib.parse import urljoin, urlsplit

from referral.demo import DEMO_PASSWORD, demo_email

# One user per kind of home page: casework (police, a crisis centre), coordination, administration.
DEMO_USERS = ("police", "crisis", "coordinator", "admin", "school")
# Links that end the session, download files or are not pages. The API's reference (/api/v1/docs)
# is developer documentation in English with translated headings; tests/api/test_reference_page.py
# checks it at 360 px and in each language.
SKIPPED = ("/logout", "/export", ".csv", ".xlsx", "/static/", "/api/v1/")
HREF = re.compile(r"""<a\b[^>]*\bhref\s*=\s*(["'])(.*?)\1""", re.I | re.S)


def log_in(client: Any, user: str) -> None:
    response = client.post("/login", data={"email": demo_email(user), "password": DEMO_PASSWORD})
    assert response.status_code in (302, 303), f"{user} could not log in"


def links(html: str, here: str) -> list[str]:
    """Same-site page links of ``html`` as paths with their query."""
    found = []
    for _quote, href in HREF.findall(html):
        parts = urlsplit(urljoin(f"http://localhost{here}", unescape(href)))
        if parts.netloc != "localhost" or any(s in parts.path for s in SKIPPED):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def shape(path: str) -> str:
    """/cases/12?page=3 and /cases/40?page=1 are one kind of page."""
    return re.sub(r"\d+", "N", path)


def crawl(client: Any, *, limit: int = 120, per_shape: int = 2) -> Iterator[tuple[str, str]]:
    """(path, html) of each HTML page the logged-in client reaches from its home page, at most
    ``per_shape`` of each kind (a list of 300 cases would otherwise fill the crawl)."""
    queue, seen, shapes = ["/"], set(), {}
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen or shapes.get(shape(path), 0) >= per_shape:
            continue
        seen.add(path)
        shapes[shape(path)] = shapes.get(shape(path), 0) + 1
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in (response.content_type or ""):
            continue
        html = response.get_data(as_text=True)
        yield path, html
        queue.extend(link for link in links(html, path) if link not in seen)
