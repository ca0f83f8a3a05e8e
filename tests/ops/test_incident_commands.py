"""flask accounts deactivate / reset-second-factor: a leaked account shut out from the server,
its sessions ended at once (a logged-in browser is logged out), audited like the admin page."""

from __future__ import annotations

from sqlalchemy import func, select

from referral.accounts.factors import RecoveryCode, TotpFactor
from referral.accounts.models import User
from referral.accounts.second_factor import seal_secret
from referral.audit.models import AuditEvent
from referral.extensions import db
from referral.models_base import utcnow
from tests.fixtures import fresh, login


def _logged_in(client) -> bool:
    response = client.get("/")
    return response.status_code == 200 and "/login" not in response.headers.get("Location", "")


def _audit(action: str, user_id: int) -> list[AuditEvent]:
    return list(db.session.execute(select(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.object_id == str(user_id))).scalars())


def _invoke(app, *args: str):
    fresh()  # no read transaction of the test's session left open across the command's write
    return app.test_cli_runner().invoke(args=list(args))


def test_deactivate_ends_every_session_and_is_audited(app, client, world):
    officer_id, email = world["officer"].id, world["officer"].email
    assert login(client, email).status_code == 302
    assert _logged_in(client)
    result = _invoke(app, "accounts", "deactivate", "--email", email.upper())
    assert result.exit_code == 0, result.output
    assert f"user {officer_id} deactivated; 1 session(s) ended" in result.output
    assert not _logged_in(client)                     # the browser's session is gone
    fresh()
    assert db.session.get(User, officer_id).is_active_account is False
    [event] = _audit("user.deactivate", officer_id)
    assert event.actor_user_id is None and event.outcome == "success"
    fresh()
    assert login(client, email).status_code != 302    # and the password no longer opens it


def test_reset_second_factor_removes_factors_and_sessions(app, client, world):
    admin_id, email = world["admin"].id, world["admin"].email
    assert login(client, email).status_code == 302
    fresh()  # a snapshot older than the login's write cannot become a writer (SQLite WAL)
    db.session.add(TotpFactor(user_id=admin_id, secret=seal_secret("JBSWY3DPEHPK3PXP", admin_id),
                              confirmed_at=utcnow()))
    db.session.add(RecoveryCode(user_id=admin_id, code_hash="0" * 64))
    db.session.commit()
    result = _invoke(app, "accounts", "reset-second-factor", "--email", email)
    assert result.exit_code == 0, result.output
    assert f"second factors of user {admin_id} reset; 1 session(s) ended" in result.output
    fresh()
    for model in (TotpFactor, RecoveryCode):
        count = db.session.execute(select(func.count()).select_from(model)
                                   .where(model.user_id == admin_id)).scalar_one()
        assert count == 0
    assert _audit("second_factor.reset", admin_id)
    fresh()
    assert not _logged_in(client)


def test_unknown_address_changes_nothing(app, world):
    result = _invoke(app, "accounts", "deactivate", "--email", "nobody@test.example.org")
    assert result.exit_code != 0
    assert "no user with that e-mail address" in result.output
