"""Administrators manage agencies and districts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, require
from referral.access.scope import current_actor
from referral.agencies import service
from referral.agencies.catalogue import SERVICES
from referral.agencies.forms import AgencyForm, DistrictForm
from referral.agencies.models import AGENCY_TYPE_LABELS, AgencyType
from referral.audit import service as audit
from referral.extensions import db
from referral.web.forms import ConfirmForm
from referral.web.labels import region_name
from referral.web.submit import StaleShown, run_or_flash, submit_form

bp = Blueprint("agencies", __name__, url_prefix="/admin/agencies")


def _fill(form: AgencyForm) -> None:
    form.type.choices = [(t.value, str(AGENCY_TYPE_LABELS[t])) for t in AgencyType]
    form.region_code.choices = [(r.code, r.name) for r in service.list_regions()]
    form.district_id.choices = [("", "—")] + [
        (d.id, f"{region_name(d.region_code)} · {d.name}") for d in service.list_districts()
    ]
    form.services.choices = [(code, str(label)) for code, label in SERVICES.items()]


def _input(form: AgencyForm) -> service.AgencyInput:
    return service.AgencyInput(
        name=form.name.data or "", type=form.type.data or "",
        region_code=form.region_code.data or "", district_id=form.district_id.data,
        email=form.email.data or "", phone=form.phone.data or "",
        address=form.address.data or "", is_24_7=bool(form.is_24_7.data),
        working_hours=form.working_hours.data or "", languages=form.languages.data or "",
        wheelchair_accessible=bool(form.wheelchair_accessible.data),
        shelter_places=form.shelter_places.data or 0,
        children_admitted=bool(form.children_admitted.data),
        services=tuple(form.services.data or ()),
    )


@bp.get("")
@login_required
@require(Permission.AGENCIES_MANAGE)
def index() -> str:
    return render_template("agencies/index.html", agencies=service.list_agencies(),
                           districts=service.list_districts())


@bp.route("/new", methods=["GET", "POST"])
@login_required
@require(Permission.AGENCIES_MANAGE)
def new() -> str | Response:
    form = AgencyForm()
    _fill(form)
    done = submit_form(form, lambda: service.create_agency(current_actor(), _input(form)),
                       done=url_for("agencies.index"), message=_("Agency created."))
    return done or render_template("agencies/form.html", form=form, agency=None)


@bp.route("/<int:agency_id>", methods=["GET", "POST"])
@login_required
@require(Permission.AGENCIES_MANAGE)
def edit(agency_id: int) -> str | Response:
    agency = service.get_agency(agency_id)
    form = AgencyForm() if AgencyForm().is_submitted() else AgencyForm(obj=agency)
    if not form.is_submitted():
        form.version.data = str(agency.version)
        form.services.data = agency.service_codes
    _fill(form)
    stale = StaleShown(form, lambda: service.get_agency(agency_id))
    done = submit_form(form, lambda: service.update_agency(
        current_actor(), agency, _input(form), expected_version=int(form.version.data or 0)),
        done=url_for("agencies.index"), message=_("Changes saved."), on_stale=stale)
    return done or render_template("agencies/form.html", form=form, agency=agency,
                                   confirm_form=ConfirmForm(), stale=stale.current)


@bp.post("/<int:agency_id>/active/<int:active>")
@login_required
@require(Permission.AGENCIES_MANAGE)
def set_active(agency_id: int, active: int) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    agency = service.get_agency(agency_id)
    run_or_flash(lambda: service.set_agency_active(current_actor(), agency, bool(active)),
                 message=_("Agency reactivated.") if active else _("Agency deactivated."))
    return redirect(url_for("agencies.edit", agency_id=agency_id))


@bp.route("/districts/new", methods=["GET", "POST"])
@login_required
@require(Permission.REFERENCE_DATA_MANAGE)
def new_district() -> str | Response:
    form = DistrictForm()
    form.region_code.choices = [(r.code, r.name) for r in service.list_regions()]
    if form.validate_on_submit():
        district = service.ensure_district(
            form.region_code.data, form.name_en.data.strip(), is_remote=bool(form.is_remote.data),
            name_ru=form.name_ru.data or "", name_kk=form.name_kk.data or "")
        audit.record("district.save", object_type="district", object_id=district.id)
        db.session.commit()
        flash(_("District saved."), "success")
        return redirect(url_for("agencies.index"))
    return render_template("agencies/district_form.html", form=form)
