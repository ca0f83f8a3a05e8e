"""The embedded default (no Redis): the same worker runs on the SQLite broker."""

from __future__ import annotations

from celery.contrib.testing.worker import start_worker

from referral.access.scope import acting_as
from referral.events.service import emit
from referral.extensions import db
from tests.fixtures import actor
from tests.notifications.factories import TEST_KIND, make_case, wait_for


def test_worker_on_the_sqlite_broker_delivers(app, world, smtp, tmp_path):
    from workers import celery_init_app

    app.config["CELERY_BROKER_URL"] = f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    celery = celery_init_app(app)
    case = make_case(world["police"], world["officer"])
    with acting_as(actor(world["officer"])):
        emit(TEST_KIND, subject_type="case", subject_id=case.id, case_id=case.id,
             receiver_agency_id=world["crisis_agency"].id)
    db.session.commit()
    with start_worker(celery, pool="solo", perform_ping_check=False, loglevel="WARNING",
                      shutdown_timeout=20):
        celery.send_task("referral.notifications.publish")
        wait_for(lambda: smtp.messages, what="an e-mail through the SQLite broker")
    assert [m.recipients for m in smtp.messages] == [[world["crisis"].email]]
