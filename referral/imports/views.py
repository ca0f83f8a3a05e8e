"""Administrators import the directory and users: upload, read the dry run, commit.

The upload is kept server-side (batches.py) under a random key bound to the uploader, so the
report page and the commit need no second upload and the URL carries nothing but the key.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, require
from referral.access.scope import Actor, current_actor
from referral.errors import DomainError
from referral.imports import batches, service
from referral.imports.columns import TABLES
from referral.imports.forms import UploadForm
from referral.imports.reading import read_upload
from referral.imports.report import Report
from referral.imports.sample import workbook_bytes
from referral.web.forms import ConfirmForm, attach_error
from referral.web.input import UPLOAD_LIMITS
from referral.web.nav import add_nav
from referral.web.transaction import run_action

bp = Blueprint("imports", __name__, url_prefix="/admin/imports")
MAX_BYTES = 5 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_LIMITS["imports.upload"] = lambda: MAX_BYTES + 64 * 1024
add_nav("imports.upload", _l("Import"), Permission.AGENCIES_MANAGE, 86)


def _read(form: UploadForm) -> tuple[bytes, str]:
    """The upload's bytes and its table, once it is known to be a file the import can read."""
    content = form.file.data.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise DomainError(_("The file is larger than %(n)d MB.", n=MAX_BYTES // 2**20))
    table = form.table.data if form.table.data in TABLES else ""
    read_upload(content, table=table or None)
    return content, table


def _keep(form: UploadForm) -> str:
    """Keep a readable upload for its uploader; the batch's key."""
    content, table = _read(form)
    name = form.file.data.filename or ""
    return run_action(lambda: batches.keep(current_actor(), content, filename=name,
                                           table=table).key)


@bp.route("", methods=["GET", "POST"])
@login_required
@require(Permission.AGENCIES_MANAGE)
def upload() -> str | Response:
    form = UploadForm()
    if form.validate_on_submit():
        try:
            return redirect(url_for("imports.report", key=_keep(form)))
        except DomainError as err:
            err.field = "file"
            attach_error(form, err)
    return render_template("imports/upload.html", form=form,
                           max_mb=MAX_BYTES // 2**20)


@bp.get("/sample.xlsx")
@login_required
@require(Permission.AGENCIES_MANAGE)
def sample() -> Response:
    return Response(workbook_bytes(), mimetype=XLSX, headers={
        "Content-Disposition": 'attachment; filename="import-sample.xlsx"'})


def _checked(key: str) -> tuple[batches.ImportBatch, Report | None, str | None]:
    """The batch, and its dry run's report (or the reason the file cannot be read)."""
    actor = current_actor()
    batch = batches.find(actor, key)
    try:
        report = run_action(lambda: service.dry_run(actor, batch.content,
                                                    table=batch.table or None))
    except DomainError as err:
        return batch, None, err.message
    return batch, report, None


@bp.get("/<key>")
@login_required
@require(Permission.AGENCIES_MANAGE)
def report(key: str) -> str:
    batch, found, refused = _checked(key)
    return render_template("imports/report.html", batch=batch, report=found, refused=refused,
                           confirm_form=ConfirmForm())


@bp.post("/<key>/commit")
@login_required
@require(Permission.AGENCIES_MANAGE)
def commit(key: str) -> Response:
    actor = current_actor()
    batch = batches.find(actor, key)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("imports.report", key=key))
    try:
        done = run_action(lambda: _commit(actor, batch))
    except DomainError as err:
        flash(err.message, "error")
        return redirect(url_for("imports.report", key=key))
    flash(_("Imported: %(create)d created, %(update)d updated, %(unchanged)d unchanged.",
            **done.counts), "success")
    return redirect(url_for("imports.upload"))


def _commit(actor: Actor, batch: batches.ImportBatch) -> Report:
    done = service.commit(actor, batch.content, table=batch.table or None)
    batches.forget(batch)
    return done
