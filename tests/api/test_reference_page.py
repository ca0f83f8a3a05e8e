"""The readable reference (/api/v1/docs): public, made from the document, every operation on
it, headings in the reader's language, local assets only and nothing the CSP would refuse."""

from __future__ import annotations

import re

import pytest

import referral.api.views  # noqa: F401  - every operation declared
from referral.api.spec import OPERATIONS
from referral.web.security import CSP


def _page(client, language: str = "en") -> str:
    answer = client.get("/api/v1/docs", headers={"Accept-Language": language})
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    assert answer.headers["Content-Security-Policy"] == CSP
    return answer.get_data(as_text=True)


def test_every_operation_is_on_the_page_with_an_example(client):
    html = _page(client)
    text = re.sub(r"<wbr>", "", html)
    for op in OPERATIONS:
        assert f'id="op-{op.endpoint}"' in html, op.endpoint
        assert "/api/v1" + op.path in text, op.endpoint
    assert "curl -X GET" in html and "Authorization: Bearer $TOKEN" in html
    assert 'href="/api/v1/openapi.json"' in html
    assert "referral.accepted" in html  # the webhooks
    assert 'href="/api/v1/problems/precondition-failed"' in html


@pytest.mark.parametrize(("language", "heading"), [("ru", "Справочник API"),
                                                   ("kk", "API анықтамалығы")])
def test_headings_are_in_the_readers_language(client, language, heading):
    html = _page(client, language)
    assert f'<html lang="{language}"' in html
    assert f"<h1>{heading}</h1>" in html


def test_only_local_assets_and_no_inline_script_or_style(client):
    html = _page(client)
    assert "<script" not in html and "<style" not in html and " style=" not in html
    for url in re.findall(r'<(?:link|img|script)\b[^>]*(?:href|src)="([^"]+)"', html):
        assert url.startswith("/"), url


def test_wide_content_is_held_for_a_narrow_screen(client):
    """At 360 px: tables scroll inside their own box; paths may break after each slash."""
    html = _page(client, "kk")
    tables = html.count("<table")
    assert tables and html.count('<div class="table-wrap">') == tables
    assert "/api<wbr>/v1<wbr>" in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


@pytest.mark.browser
def test_the_reference_reads_at_360_px_without_sideways_scrolling(browser, live_server):
    """A real browser at a phone's width: long paths and schemas wrap or scroll in their own
    box, never the page."""
    from tests.test_narrow_screens import WIDTH, _overflow

    context = browser.new_context(base_url=live_server, viewport={"width": WIDTH, "height": 740})
    page = context.new_page()
    try:
        for language in ("en", "ru", "kk"):
            page.set_extra_http_headers({"Accept-Language": language})
            page.goto("/api/v1/docs")
            assert page.locator("h1").count() == 1
            assert _overflow(page) == "", language
    finally:
        context.close()
