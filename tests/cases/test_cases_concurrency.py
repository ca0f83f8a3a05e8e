"""Concurrency: case references from two threads with real connections; double submissions."""

from __future__ import annotations

import threading
import traceback

from sqlalchemy import select

from referral.cases import service as cases
from referral.cases.models import Case
from referral.extensions import db
from referral.web.transaction import run_action
from tests.cases.factories import as_system
from tests.fixtures import actor, fresh, login


def test_two_threads_never_get_the_same_reference(app, world):
    police = actor(world["officer"])
    errors: list[BaseException] = []
    per_thread = 6
    barrier = threading.Barrier(2)

    def work() -> None:
        try:
            with app.app_context():
                barrier.wait()
                for _ in range(per_thread):
                    run_action(lambda: cases.open_case(
                        police, cases.CaseInput(region_code="KZ-75"),
                        creation_token=cases.new_creation_token()))
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, "".join(traceback.format_exception(errors[0])) if errors else ""
    fresh()
    with as_system():
        refs = db.session.execute(select(Case.reference)).scalars().all()
    numbers = sorted(int(r.rsplit("-", 1)[1]) for r in refs)
    assert numbers == list(range(1, 2 * per_thread + 1))


def test_a_double_submitted_new_case_form_creates_one_case(world, client):
    login(client, world["officer"])
    form = {"creation_token": "3f1c7a52-0000-4000-8000-000000000001", "region_code": "KZ-75",
            "address": "Flat 5", "languages": ["kk"]}
    first = client.post("/cases/new", data=form)
    second = client.post("/cases/new", data=form)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    fresh()
    with as_system():
        assert len(db.session.execute(select(Case.id)).scalars().all()) == 1
