"""Default-deny scoping: a model that does not say whether its rows are scoped stops start-up."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

import referral.models
from referral import create_app
from referral.access.scope import check_every_scoped_model_has_a_rule, unmarked_models
from referral.models import all_models
from tests.conftest import base_config


class _Elsewhere(DeclarativeBase):
    """A registry of its own, so the models below never reach the app's metadata."""


class Unmarked(_Elsewhere):
    __tablename__ = "unmarked_rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class ScopedWithoutRule(_Elsewhere):
    __tablename__ = "scoped_without_rule_rows"
    __scoped__ = True
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class EmptyReason(_Elsewhere):
    __tablename__ = "empty_reason_rows"
    __unscoped__ = "  "
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class Both(_Elsewhere):
    __tablename__ = "both_rows"
    __scoped__ = True
    __unscoped__ = "a reason"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class Public(_Elsewhere):
    __tablename__ = "public_rows"
    __unscoped__ = "a reference table, the same for every user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


def test_every_model_of_the_app_declares_its_scope(app: Flask) -> None:
    assert unmarked_models(all_models()) == []


def test_each_kind_of_missing_decision_is_named() -> None:
    problems = unmarked_models([Unmarked, ScopedWithoutRule, EmptyReason, Both, Public])
    assert problems == [
        "Both: both __scoped__ and __unscoped__",
        "EmptyReason: neither __scoped__ nor __unscoped__ = \"why\"",
        "ScopedWithoutRule: __scoped__ without a register_scope rule",
        "Unmarked: neither __scoped__ nor __unscoped__ = \"why\"",
    ]
    check_every_scoped_model_has_a_rule([Public])  # a stated reason is enough


def test_a_model_without_a_marker_stops_start_up(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    real = referral.models.all_models
    monkeypatch.setattr(referral.models, "all_models", lambda: [*real(), Unmarked])
    with pytest.raises(RuntimeError, match="Unmarked: neither __scoped__ nor __unscoped__"):
        create_app(base_config(f"sqlite:///{tmp_path / 'unmarked.sqlite'}"))
