"""In-app notifications: written with the change, the bell, the list, marks, preferences."""

from __future__ import annotations

from sqlalchemy import select

from referral.access.scope import acting_as
from referral.events.service import emit
from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications import service
from referral.notifications.models import Delivery, Notification
from referral.notifications.sweeps import begin_sweep
from tests.fixtures import actor, fresh, login
from tests.notifications.factories import TEST_KIND, make_case, make_referral


def _ping(world, case=None, receiver=None):
    case = case or make_case(world["police"], world["officer"])
    with acting_as(actor(world["officer"])):
        return emit(TEST_KIND, subject_type="case", subject_id=case.id, case_id=case.id,
                    receiver_agency_id=(receiver or world["crisis_agency"]).id)


def _notes(user):
    return db.session.execute(
        select(Notification).where(Notification.user_id == user.id)).scalars().all()


def test_in_app_rows_are_written_in_the_same_transaction(world):
    event = _ping(world)
    assert [n.event_id for n in _notes(world["crisis"])] == [event.id]
    db.session.rollback()  # the action rolls back: so does its notification
    assert _notes(world["crisis"]) == []


def test_the_actor_and_other_agencies_are_not_told(world):
    _ping(world)
    db.session.commit()
    assert _notes(world["officer"]) == []
    assert _notes(world["other"]) == []
    assert len(_notes(world["crisis"])) == 1


def test_restricted_case_notifies_only_named_members(world):
    from tests.fixtures import make_user

    colleague = make_user(world["crisis_agency"])
    case = make_case(world["police"], world["officer"], restricted=True,
                     members=(world["officer"], world["crisis"]))
    world["crisis_agency"].email = "duty@crisis.example.org"
    event = _ping(world, case=case)
    assert {n.user_id for n in db.session.execute(
        select(Notification).where(Notification.event_id == event.id)).scalars()} == {
        world["crisis"].id}
    assert colleague.id not in {n.user_id for n in _notes(colleague)}
    from referral.notifications import jobs

    jobs.publish(lambda _id: None)
    recipients = db.session.execute(select(Delivery.recipient)).scalars().all()
    assert recipients == [f"user:{world['crisis'].id}"]  # no shared mailbox for a sealed case


def test_bell_shows_unread_count_on_every_page(client, world):
    _ping(world)
    _ping(world)
    db.session.commit()
    login(client, world["crisis"])
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="bell"' in page
    assert '<span class="bell-count">2</span>' in page
    page = client.get("/notifications").get_data(as_text=True)
    assert page.count('data-testid="notification"') == 2


def test_mark_read_open_and_mark_all(client, world):
    first, second, third = _ping(world), _ping(world), _ping(world)
    db.session.commit()
    ids = [db.session.execute(select(Notification.id).where(
        Notification.event_id == e.id)).scalar_one() for e in (first, second, third)]
    login(client, world["crisis"])
    assert client.post(f"/notifications/{ids[0]}/read").status_code == 302
    opened = client.post(f"/notifications/{ids[1]}/open")
    assert opened.status_code == 302
    fresh()
    assert service.unread_count(world["crisis"].id) == 1
    client.post("/notifications/read-all")
    fresh()
    assert service.unread_count(world["crisis"].id) == 0
    assert "bell-count" not in client.get("/").get_data(as_text=True)


def test_state_changes_are_posts_only(client, world):
    _ping(world)
    db.session.commit()
    note_id = _notes(world["crisis"])[0].id
    login(client, world["crisis"])
    assert client.get(f"/notifications/{note_id}/read").status_code == 405
    assert client.get("/notifications/read-all").status_code == 405


def test_someone_elses_notification_is_404(client, world):
    _ping(world)
    db.session.commit()
    note_id = _notes(world["crisis"])[0].id
    login(client, world["other"])
    assert client.post(f"/notifications/{note_id}/read").status_code == 404
    assert client.post(f"/notifications/{note_id}/open").status_code == 404
    fresh()
    assert service.unread_count(world["crisis"].id) == 1


def test_notification_links_to_the_referral(client, world):
    case = make_case(world["police"], world["officer"])
    referral = make_referral(case, world["officer"], world["crisis_agency"])
    with acting_as(actor(world["officer"])):
        emit("referral.sent", subject_type="referral", subject_id=referral.id, case_id=case.id,
             sender_agency_id=world["police"].id, receiver_agency_id=world["crisis_agency"].id)
    db.session.commit()
    note = _notes(world["crisis"])[0]
    assert note.reference == referral.reference
    login(client, world["crisis"])
    assert referral.reference in client.get("/notifications").get_data(as_text=True)
    target = client.post(f"/notifications/{note.id}/open").headers["Location"]
    assert str(referral.id) in target and "referral" in target


def test_email_preference_is_respected(client, world):
    login(client, world["crisis"])
    assert client.post("/notifications/preferences", data={}).status_code == 302
    fresh()
    assert service.email_enabled(world["crisis"].id) is False
    _ping(world)
    db.session.commit()
    from referral.notifications import jobs

    jobs.publish(lambda _id: None)
    assert db.session.execute(select(Delivery)).scalars().all() == []
    assert len(_notes(world["crisis"])) == 1  # in-app cannot be turned off


def test_system_health_page_is_for_administrators_only(client, world):
    with acting_as(actor(world["admin"])):
        begin_sweep("reminders", now=utcnow())
    db.session.commit()
    login(client, world["officer"])
    assert client.get("/admin/system").status_code == 404
    client.post("/logout")
    login(client, world["admin"])
    page = client.get("/admin/system")
    assert page.status_code == 200
    assert 'data-testid="queue-depth"' in page.get_data(as_text=True)


def test_lookups_remembered_in_a_transaction_follow_its_writes(world):
    """Recipients are remembered within a transaction (the sweep tells the same agency many
    times), but a new colleague or a sealed case in the same transaction is seen at once."""
    from tests.fixtures import make_user

    case = make_case(world["police"], world["officer"])
    first = _ping(world, case=case)
    newcomer = make_user(world["crisis_agency"])
    second = _ping(world, case=case)
    told = {e.id: {n.user_id for n in db.session.execute(
        select(Notification).where(Notification.event_id == e.id)).scalars()}
        for e in (first, second)}
    assert newcomer.id not in told[first.id]
    assert newcomer.id in told[second.id]

    case.restricted = True
    db.session.flush()
    third = _ping(world, case=case)
    assert db.session.execute(
        select(Notification).where(Notification.event_id == third.id)).scalars().all() == []


def test_the_bell_count_is_read_with_the_session_not_on_its_own(client, world, app):
    """Every logged-in page reads the session; the bell's count comes in that statement."""
    from sqlalchemy import event

    _ping(world)
    _ping(world)
    db.session.commit()
    login(client, world["crisis"])
    client.get("/")  # the first page after login records the session's use
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        page = client.get("/notifications").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert '<span class="bell-count">2</span>' in page
    assert not [s for s in seen if s.startswith("SELECT count(*)") and "notifications" in s]
    [session_read] = [s for s in seen if "FROM user_sessions" in s]
    assert "FROM notifications" in session_read


def test_the_bell_is_fresh_after_notifications_change_in_the_same_request(app, world):
    """A value read with the session is dropped when the request marks read or writes
    notifications, so a page rendered afterwards counts again."""
    from referral.accounts.sessions import load_session_user, start_session

    first, _second = _ping(world), _ping(world)
    crisis = world["crisis"]
    token = start_session(crisis)
    db.session.commit()
    note_id = db.session.execute(select(Notification.id).where(
        Notification.event_id == first.id)).scalar_one()
    with app.test_request_context():
        assert load_session_user(token).id == crisis.id
        assert service.bell_count(crisis.id) == 2
        service.mark_read(actor(crisis), notification_id=note_id)
        assert service.bell_count(crisis.id) == 1
    with app.test_request_context():
        load_session_user(token)
        assert service.bell_count(crisis.id) == 1
        _ping(world)  # a fan-out in the request (an INSERT of notification rows)
        assert service.bell_count(crisis.id) == 2
    with app.test_request_context():
        load_session_user(token)
        service.mark_all_read(actor(crisis))
        assert service.bell_count(crisis.id) == 0
    with app.test_request_context():
        load_session_user(token)
        assert service.bell_count(crisis.id) == 0
        elsewhere = _ping(world, receiver=world["other_agency"])  # not for crisis
        assert service.bell_count(crisis.id) == 0
        db.session.add(Notification(event_id=elsewhere.id, user_id=crisis.id, channel="in_app",
                                    kind=TEST_KIND, subject_type="case", subject_id=1,
                                    reference="X", created_at=utcnow()))
        db.session.flush()
        assert service.bell_count(crisis.id) == 1
    db.session.rollback()


def test_the_value_read_with_one_users_session_is_not_given_for_another(app, world):
    from referral.accounts.sessions import load_session_user, session_value, start_session

    _ping(world)
    token = start_session(world["crisis"])
    db.session.commit()
    with app.test_request_context():
        load_session_user(token)
        assert session_value(service.UNREAD, world["crisis"].id) == 1
        assert session_value(service.UNREAD, world["officer"].id) is None
        assert service.bell_count(world["officer"].id) == 0
