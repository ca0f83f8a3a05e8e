"""ETag / If-Match: a change without If-Match is 428, a stale or weak tag 412; ``*`` and lists
of tags are honoured; a GET with the current tag in If-None-Match is 304."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

import referral.api.views  # noqa: F401  - every operation declared
from referral.access.permissions import Role
from referral.api.etag import (
    check_if_match,
    etag_header,
    expected_version,
    none_match,
    parse_tags,
)
from referral.api.problems import Problem
from referral.api.spec import Reply
from tests.api.helpers import Api, token_for
from tests.api.test_problems import mount
from tests.fixtures import make_agency, make_user

CURRENT = 3


def _update(record_id: int) -> Reply:
    check_if_match(CURRENT)
    assert expected_version() == CURRENT  # what the view passes to the service
    return Reply({"id": record_id, "version": CURRENT + 1}, headers=etag_header(CURRENT + 1))


def _read(record_id: int) -> Reply:
    return Reply({"id": record_id, "version": CURRENT}, headers=etag_header(CURRENT))


@pytest.fixture
def api(app: Flask, ctx: Any, client: Any) -> Api:
    mount(app, "PUT", "/test/records/<int:record_id>", _update, if_match=True)
    mount(app, "GET", "/test/records/<int:record_id>", _read)
    return Api(client, token_for(make_user(make_agency("police"), Role.OFFICER)))


@pytest.mark.parametrize(("header", "status"), [
    ('"3"', 200), ('"1", "3"', 200), ("*", 200), (' "2" ,"3" ', 200),
    ('"2"', 412), ('W/"3"', 412), ("3", 412), ('"3', 412), ('"a"', 412),
])
def test_if_match_is_compared_strongly(api, header, status):
    answer = api.put("/test/records/1", json={}, headers={"If-Match": header})
    assert answer.status_code == status, (header, answer.data)
    if status == 200:
        assert answer.headers["ETag"] == '"4"'
    else:
        assert answer.json["type"].endswith("/precondition-failed")


def test_a_change_without_if_match_is_428(api):
    answer = api.put("/test/records/1", json={})
    assert answer.status_code == 428
    assert answer.json["type"].endswith("/precondition-required")
    ru = api.put("/test/records/1", json={}, headers={"Accept-Language": "ru"})
    assert ru.json["title"] == "Требуется предварительное условие"


def test_a_get_with_the_current_etag_is_304(api):
    first = api.get("/test/records/1")
    assert first.status_code == 200 and first.headers["ETag"] == '"3"'
    same = api.get("/test/records/1", headers={"If-None-Match": first.headers["ETag"]})
    assert same.status_code == 304 and same.data == b"" and same.headers["ETag"] == '"3"'
    assert api.get("/test/records/1", headers={"If-None-Match": 'W/"3"'}).status_code == 304
    assert api.get("/test/records/1", headers={"If-None-Match": '"2"'}).status_code == 200


def test_parsing_of_entity_tags():
    assert parse_tags('"1", W/"2"') == [(False, "1"), (True, "2")]
    assert parse_tags("*") == [(False, "*")]
    assert parse_tags("1") is None and parse_tags('"1" "2"') is None
    assert none_match('"1", "2"', '"2"') and none_match("*", '"9"')
    assert not none_match('"1"', '"2"')


@pytest.mark.parametrize(("header", "expected"), [('"5"', 5), ('"4", "6"', 6), ("*", 428),
                                                  ('W/"5"', 412), ("", 428)])
def test_expected_version_without_the_current_one(app, header, expected):
    with app.test_request_context("/", headers={"If-Match": header} if header else {}):
        if expected > 100:
            with pytest.raises(Problem) as refused:
                expected_version()
            assert refused.value.status == expected
        else:
            assert expected_version() == expected
