"""User management for administrators (everyone) and agency managers (their agency)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from referral.access.permissions import ROLE_LABELS, Permission, Role, role_can
from referral.access.scope import Actor, current_actor
from referral.accounts import service
from referral.accounts.forms import NewUserForm, UserForm
from referral.agencies.models import Agency, Region
from referral.errors import DomainError
from referral.extensions import db
from referral.web.forms import ConfirmForm, attach_error
from referral.web.submit import StaleShown, run_or_flash, submit_form

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _require_user_manager() -> Actor:
    actor = current_actor()
    if not (role_can(actor.role, Permission.USERS_MANAGE_ALL)
            or role_can(actor.role, Permission.USERS_MANAGE_OWN_AGENCY)):
        abort(404)
    return actor


def _fill_choices(form: UserForm, actor: Actor) -> None:
    agencies = select(Agency).where(Agency.is_active.is_(True)).order_by(Agency.name)
    roles = list(Role)
    if not role_can(actor.role, Permission.USERS_MANAGE_ALL):
        agencies = agencies.where(Agency.id == actor.agency_id)
        roles = [Role.OFFICER, Role.AGENCY_MANAGER]
    form.agency_id.choices = [(a.id, a.name) for a in db.session.execute(agencies).scalars()]
    form.role.choices = [(r.value, str(ROLE_LABELS[r])) for r in roles]
    regions = db.session.execute(select(Region).order_by(Region.name_en)).scalars()
    form.region_codes.choices = [(r.code, r.name) for r in regions]


def _input(form: UserForm) -> service.UserInput:
    return service.UserInput(
        email=form.email.data or "",
        full_name=form.full_name.data or "",
        agency_id=form.agency_id.data,
        role=form.role.data or "",
        region_codes=tuple(form.region_codes.data or ()),
        phone=form.phone.data or "",
        locale=form.locale.data or None,
    )


@bp.get("/users")
@login_required
def users() -> str:
    actor = _require_user_manager()
    return render_template("admin/users.html", users=service.list_users_for(actor),
                           role_labels=ROLE_LABELS)


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
def new_user() -> str | Response:
    actor = _require_user_manager()
    form = NewUserForm()
    _fill_choices(form, actor)
    if form.validate_on_submit():
        password = form.initial_password.data if form.setup.data == "password" else None
        if form.setup.data == "password" and not password:
            form.initial_password.errors = [_("Enter an initial password, or send an invitation.")]
        else:
            try:
                user, token = service.create_user(actor, _input(form), initial_password=password)
            except DomainError as err:
                db.session.rollback()
                attach_error(form, err if err.field != "new_password"
                             else DomainError(err.message, field="initial_password"))
            else:
                db.session.commit()
                return _after_create(user.id, token)
    return render_template("admin/user_form.html", form=form, new=True)


def _after_create(user_id: int, token: str | None) -> str | Response:
    if token:
        link = url_for("accounts.accept_invitation", token=token, _external=True)
        return render_template("admin/invitation_link.html", link=link, user_id=user_id)
    flash(_("User created. They must change the initial password at first login."), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def edit_user(user_id: int) -> str | Response:
    actor = _require_user_manager()
    user = service.get_user_for(actor, user_id)
    form = UserForm(obj=user) if not UserForm().is_submitted() else UserForm()
    if not form.is_submitted():
        form.version.data = str(user.version)
        form.region_codes.data = sorted(user.region_codes)
        form.locale.data = user.locale or ""
    _fill_choices(form, actor)
    stale = StaleShown(form, lambda: service.get_user_for(actor, user_id))
    done = submit_form(form, lambda: service.update_user(
        actor, user, _input(form), expected_version=int(form.version.data or 0)),
        done=url_for("admin.users"), message=_("Changes saved."), on_stale=stale)
    return done or render_template("admin/user_form.html", form=form, new=False, user=user,
                                   confirm_form=ConfirmForm(), stale=stale.current,
                                   role_labels=ROLE_LABELS)


@bp.post("/users/<int:user_id>/active/<int:active>")
@login_required
def set_active(user_id: int, active: int) -> Response:
    actor = _require_user_manager()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = service.get_user_for(actor, user_id)
    run_or_flash(lambda: service.set_active(actor, user, bool(active)),
                 message=_("User reactivated.") if active else
                 _("User deactivated. Their sessions have ended."))
    return redirect(url_for("admin.edit_user", user_id=user_id))


@bp.post("/users/<int:user_id>/reset-password")
@login_required
def reset_password(user_id: int) -> str | Response:
    actor = _require_user_manager()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = service.get_user_for(actor, user_id)
    token = service.reset_password(actor, user)
    db.session.commit()
    link = url_for("accounts.accept_invitation", token=token, _external=True)
    return render_template("admin/invitation_link.html", link=link, user_id=user_id)
