"""The lists of referrals (inbox, outbox, a region's) and the service directory."""

from __future__ import annotations

from flask import render_template, request
from flask_login import login_required

from referral.access.permissions import Permission, require
from referral.access.scope import current_actor
from referral.agencies import pickers
from referral.agencies.catalogue import SERVICES
from referral.audit import service as audit
from referral.extensions import db
from referral.referrals import directory as directory_service
from referral.referrals import service
from referral.referrals.lifecycle import Status
from referral.referrals.views.blueprint import bp


@bp.get("/referrals/inbox")
@login_required
@require(Permission.REFERRAL_RESPOND)
def inbox() -> str:
    rows = service.list_inbox_for(current_actor())
    db.session.commit()
    return render_template("referrals/inbox.html", referrals=rows)


@bp.get("/referrals/outbox")
@login_required
@require(Permission.REFERRAL_SEND)
def outbox() -> str:
    status = request.args.get("status") or None
    if status not in set(Status):
        status = None
    before = request.args.get("before", type=int)
    page = service.list_outbox_for(current_actor(), status=status, before=before)
    db.session.commit()
    return render_template("referrals/outbox.html", referrals=page.referrals, older=page.older,
                           status=status, statuses=list(Status), first_page=before is None)


@bp.get("/referrals/region")
@login_required
@require(Permission.REFERRAL_COORDINATE)
def region() -> str:
    rows = service.list_region_referrals_for(current_actor())
    db.session.commit()
    return render_template("referrals/region.html", referrals=rows)


@bp.get("/directory")
@login_required
@require(Permission.DIRECTORY_READ)
def directory() -> str:
    actor = current_actor()
    service_code = request.args.get("service") or None
    region_code = request.args.get("region") or None
    district_id = request.args.get("district", type=int)
    found = directory_service.list_directory(actor, service_code=service_code,
                                             region_code=region_code, district_id=district_id)
    audit.record("directory.view", object_type="directory",
                 details={"service": service_code, "region": region_code})
    db.session.commit()
    # Regions, the user's first, and the districts of the chosen region (else the user's),
    # grouped by region, in one statement (agencies.pickers).
    places = pickers.district_picker(actor, region_code=region_code, keep_id=district_id)
    return render_template(
        "referrals/directory.html", directory=found, service_code=service_code,
        region_code=region_code, district_id=district_id, services=SERVICES, places=places)
