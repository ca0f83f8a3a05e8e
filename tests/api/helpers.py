"""Tokens and a small JSON client for API tests."""

from __future__ import annotations

from typing import Any

from referral.accounts.models import User
from referral.api.tokens import mint
from referral.extensions import db


def token_for(user: User, **options: Any) -> str:
    """Mint a token acting as ``user`` and commit it; returns the secret."""
    minted = mint(user, name=options.pop("name", "test"), **options)
    db.session.commit()
    return minted.secret


class Api:
    """``app.test_client()`` with the token's header on every call."""

    def __init__(self, client: Any, token: str, language: str | None = None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}
        if language:
            self.headers["Accept-Language"] = language

    def call(self, method: str, path: str, json: Any = None, headers: dict | None = None,
             **kwargs: Any) -> Any:
        url = path if path.startswith("/api/") else "/api/v1" + path
        return self.client.open(url, method=method, json=json,
                                headers={**self.headers, **(headers or {})}, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.call("POST", path, json=json if json is not None else {}, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.call("PUT", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.call("PATCH", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.call("DELETE", path, **kwargs)
