"""Users from a file: matched by e-mail address, invited once by e-mail, changed only as the
importer could change them on the user page."""

from __future__ import annotations

from sqlalchemy import func, select

from referral.access.permissions import Role
from referral.accounts.models import Invitation, User
from referral.extensions import db
from referral.imports import people
from referral.imports.known import load_known
from referral.imports.plan import Plan
from referral.imports.reading import read_upload
from referral.imports.report import TableReport
from tests.accounts.account_mail import link_path, send_outbox
from tests.fixtures import actor, fresh
from tests.imports.helpers import commit, dry, messages, outcomes, sample, workbook_bytes
from tests.notifications.conftest import smtp  # noqa: F401 - the real SMTP server fixture


def _invitations() -> int:
    return db.session.execute(select(func.count()).select_from(Invitation)).scalar_one()


def test_new_users_are_invited_once_by_email_after_the_commit(ctx, world, smtp):  # noqa: F811
    data = sample()
    data["users"][0]["email"] = "Manager@Zhardem.Example.KZ"  # stored lowercased
    report = commit(workbook_bytes(data))
    assert outcomes(report, "users") == [("manager@zhardem.example.kz", "create"),
                                         ("lawyer@legal.example.kz", "create")]
    assert send_outbox() == 2
    [mail] = smtp.to("manager@zhardem.example.kz")
    assert link_path(mail.body).startswith("/invitation/")
    assert "Sample Manager" not in mail.body
    fresh()
    manager = db.session.execute(select(User).where(
        User.email == "manager@zhardem.example.kz")).scalar_one()
    assert manager.role == Role.AGENCY_MANAGER and manager.agency.external_id == "org-crisis-1"
    assert manager.locale == "ru" and manager.password_hash is None

    again = commit(workbook_bytes(data))  # the same file again: no new user, no new e-mail
    assert outcomes(again, "users") == [("manager@zhardem.example.kz", "unchanged"),
                                        ("lawyer@legal.example.kz", "unchanged")]
    assert send_outbox() == 0
    assert _invitations() == 2


def test_an_existing_user_is_updated_not_invited(ctx, world):
    data = sample(users=[{"email": "officer@test.example.org", "full_name": "Renamed Officer",
                          "organization_id": "org-legal-1", "role": "officer"}])
    report = commit(workbook_bytes(data))
    assert outcomes(report, "users") == [("officer@test.example.org", "update")]
    fresh()
    officer = db.session.get(User, world["officer"].id)
    assert officer.full_name == "Renamed Officer"
    assert officer.agency.external_id == "org-legal-1"
    assert _invitations() == 0


def test_a_coordinator_gets_the_regions_of_the_file(ctx, world):
    data = sample(users=[{"email": "coord@test.example.org", "full_name": "Coordinator",
                          "organization_id": "org-legal-1", "role": "coordinator",
                          "regions": "KZ-75; kz-43"}])
    commit(workbook_bytes(data))
    fresh()
    assert db.session.get(User, world["coordinator"].id).region_codes == {"KZ-75", "KZ-43"}


def test_a_manager_may_not_import_users_and_a_user_they_could_not_manage_is_refused(ctx, world):
    rows = [{"email": "admin@test.example.org", "full_name": "X", "organization_id": "a",
             "role": "officer"}]
    police = world["police"]
    police.external_id = "a"
    db.session.commit()
    report = dry(workbook_bytes({"users": rows}), actor(world["manager"]))
    assert messages(report, "users") == ["You may not import this table."]
    upload = read_upload(workbook_bytes({"users": rows}))
    table = TableReport("users")
    people.check_users(upload.sheets["users"], load_known(upload), Plan(), table,
                       actor(world["manager"]))
    assert [r.messages for r in table.rows] == [["You may not change this user."]]
