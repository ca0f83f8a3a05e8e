"""School notice pages: the school's notices and its "received", a case's children and their
schools, and the school manager's choice of safeguarding contact."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, Role, require
from referral.access.scope import current_actor
from referral.agencies.models import AgencyType
from referral.cases.views import render_and_commit
from referral.referrals.codes import LEGAL_GROUNDS
from referral.schools import (
    notify,  # noqa: F401  (the notice's kinds, rule and link target)
    service,
)
from referral.schools.calendar import school_calendar
from referral.schools.forms import ChildSchoolForm, ContactForm
from referral.web.forms import form_int
from referral.web.nav import add_nav
from referral.web.submit import run_or_flash, submit_form

bp = Blueprint("schools", __name__, url_prefix="/schools")


def _follows_notices() -> bool:
    return current_user.role == Role.COORDINATOR or (
        current_user.agency is not None and current_user.agency.type == AgencyType.EDUCATION)


def _school_manager() -> bool:
    return current_user.role == Role.AGENCY_MANAGER and current_user.agency is not None and (
        current_user.agency.type == AgencyType.EDUCATION)


add_nav("schools.notices", _l("School notices"), Permission.CASE_READ, 25,
        when=_follows_notices)
add_nav("schools.contact", _l("Safeguarding contact"), Permission.USERS_MANAGE_OWN_AGENCY, 81,
        when=_school_manager)


@bp.get("/notices")
@login_required
@require(Permission.CASE_READ)
def notices() -> str:
    actor = current_actor()
    return render_and_commit("schools/notices.html", notices=service.list_notices(actor))


@bp.get("/notices/<int:notice_id>")
@login_required
@require(Permission.CASE_READ)
def notice(notice_id: int) -> str:
    actor = current_actor()
    found = service.get_notice_for(actor, notice_id)
    return render_and_commit(
        "schools/notice.html", notice=found, school_user=service.is_school_user(actor, found),
        legal_ground=LEGAL_GROUNDS.get(found.legal_ground, found.legal_ground),
        legal_basis=school_calendar().legal_basis)


@bp.post("/notices/<int:notice_id>/received")
@login_required
@require(Permission.CASE_WRITE)
def received(notice_id: int) -> Response:
    actor = current_actor()
    run_or_flash(lambda: service.mark_received(actor, notice_id),
                 message=_("Thank you: the notice is marked as received."))
    return redirect(url_for("schools.notice", notice_id=notice_id))


@bp.route("/cases/<int:case_id>/children", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def children(case_id: int) -> str | Response:
    actor = current_actor()
    case, rows = service.children_of(actor, case_id)
    form = ChildSchoolForm()
    form.school_agency_id.choices = [("", _("No school, or not known"))] + [
        (str(s.id), s.name) for s in service.schools_of_region(case.region_code)]
    done = submit_form(form, lambda: service.link_child(
        actor, case_id, participant_id=form_int(form.participant_id.data) or 0,
        school_agency_id=form.school_agency_id.data),
        done=url_for("schools.children", case_id=case_id), message=_("School saved."))
    return done or render_and_commit("schools/children.html", case=case, rows=rows, form=form)


@bp.route("/contact", methods=["GET", "POST"])
@login_required
@require(Permission.USERS_MANAGE_OWN_AGENCY)
def contact() -> str | Response:
    actor = current_actor()
    staff = service.contact_candidates(actor)
    current = service.contact_of(actor.agency_id or 0)
    form = ContactForm(user_id=current.user_id if current else None)
    form.user_id.choices = [(u.id, u.full_name) for u in staff]
    done = submit_form(form, lambda: service.set_contact(actor, user_id=form.user_id.data or 0),
                       done=url_for("schools.contact"), message=_("Safeguarding contact saved."))
    return done or render_and_commit("schools/contact.html", form=form, current=current)
