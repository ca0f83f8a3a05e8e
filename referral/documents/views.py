"""Document pages: a case's list, attaching files, a new version, withdrawing, downloads and
thumbnails (served by the app, never from a public URL), and what a referral sends."""

from __future__ import annotations

import logging
from collections.abc import Callable
from io import BytesIO
from typing import Any, TypeVar

from flask import Blueprint, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, require, role_can
from referral.access.scope import current_actor
from referral.cases.models import Case
from referral.cases.service import load_case
from referral.cases.views import render_and_commit
from referral.documents import attach, service, sharing
from referral.documents.forms import ShareForm, UploadForm, VersionForm, WithdrawForm
from referral.documents.sanitize import REMOVED_LABELS
from referral.errors import DomainError, NotVisible
from referral.extensions import db
from referral.referrals.models import Referral
from referral.web.forms import attach_error
from referral.web.input import UPLOAD_LIMITS
from referral.web.submit import submit_form
from referral.web.transaction import run_action

bp = Blueprint("documents", __name__)
log = logging.getLogger(__name__)
T = TypeVar("T")


def _upload_limit() -> int:
    return service.MAX_FILES * service.max_bytes() + 1024 * 1024


for _endpoint in ("documents.upload", "documents.new_version"):
    UPLOAD_LIMITS[_endpoint] = _upload_limit


@bp.app_context_processor
def _document_helpers() -> dict[str, Any]:
    def documents_of(case: Case) -> list[Any] | None:
        """The case page's panel (None for users who read no case)."""
        if not current_user.is_authenticated or not role_can(current_user.role,
                                                             Permission.CASE_READ):
            return None
        return service.panel_documents(current_actor(), case.id)

    def documents_sent_with(referral: Referral) -> dict[str, Any] | None:
        if not current_user.is_authenticated or not role_can(current_user.role,
                                                             Permission.CASE_READ):
            return None
        actor = current_actor()
        return {"documents": sharing.referral_documents(actor, referral.id),
                "may_choose": sharing.may_choose(actor, referral)}

    return {"documents_of": documents_of, "documents_sent_with": documents_sent_with,
            "document_category": service.category_label,
            "removed_label": lambda code: str(REMOVED_LABELS.get(code, code))}


def _files(name: str) -> list[tuple[str, bytes]]:
    return [(f.filename or "", f.read()) for f in request.files.getlist(name) if f.filename]


def _store(form: Any, files: list[tuple[str, bytes]],
           action: Callable[[list[service.Prepared]], T]) -> T | None:
    """Clean, seal and put the files with no transaction open (slow work must not hold the
    database's writer), write the rows in one action, then finalise the stored objects."""
    db.session.rollback()
    try:
        prepared = service.prepare(files)
    except DomainError as err:
        attach_error(form, err)
        return None
    try:
        result = run_action(lambda: action(prepared))
    except DomainError as err:
        service.discard(prepared)
        attach_error(form, err)
        return None
    try:
        run_action(lambda: service.finalise(prepared))
    except Exception:  # the rows are committed: the sweep finalises what is left pending
        log.warning("documents: finalising stored objects failed; the sweep will retry",
                    exc_info=True)
    return result


@bp.get("/cases/<int:case_id>/documents")
@login_required
@require(Permission.CASE_READ)
def case_documents(case_id: int) -> str:
    actor = current_actor()
    case = load_case(actor, case_id)
    return render_and_commit("documents/list.html", case=case,
                             listed=service.list_case_documents(actor, case.id),
                             may_change=lambda doc: service.may_change(actor, case, doc),
                             may_add=role_can(actor.role, Permission.CASE_WRITE))


@bp.route("/cases/<int:case_id>/documents/new", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def upload(case_id: int) -> str | Response:
    actor = current_actor()
    case = load_case(actor, case_id)
    form = UploadForm(attach=request.args.get("attach", ""))
    form.attach.choices = attach.choices(actor, case.id)
    if form.validate_on_submit() and _store(form, _files("files"), lambda prepared: (
            service.add_documents(actor, case_id, prepared, category=form.category.data,
                                  title=form.title.data, note=form.note.data,
                                  attach=form.attach.data))) is not None:
        flash(_("Documents attached."), "success")
        return redirect(url_for("documents.case_documents", case_id=case_id))
    return render_and_commit("documents/upload.html", case=case, form=form,
                             max_mb=service.max_bytes() // (1024 * 1024))


def _changeable(doc_id: int) -> tuple[Any, Case]:
    actor = current_actor()
    doc = service.get_document(actor, doc_id)
    case = load_case(actor, doc.case_id)
    if not service.may_change(actor, case, doc):
        raise NotVisible("document", doc_id)
    return doc, case


@bp.route("/documents/<int:doc_id>/version", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def new_version(doc_id: int) -> str | Response:
    doc, case = _changeable(doc_id)
    form = VersionForm()
    if form.validate_on_submit() and _store(form, _files("files")[:1], lambda prepared: (
            service.add_version(current_actor(), doc_id, prepared[0], title=form.title.data,
                                note=form.note.data))) is not None:
        flash(_("New version attached."), "success")
        return redirect(url_for("documents.case_documents", case_id=case.id))
    return render_and_commit("documents/version.html", doc=doc, case=case, form=form,
                             max_mb=service.max_bytes() // (1024 * 1024))


@bp.route("/documents/<int:doc_id>/withdraw", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def withdraw(doc_id: int) -> str | Response:
    doc, case = _changeable(doc_id)
    form = WithdrawForm()
    done = submit_form(form, lambda: service.withdraw(current_actor(), doc_id,
                                                      reason=form.reason.data or ""),
                       done=url_for("documents.case_documents", case_id=case.id),
                       message=_("The document was withdrawn: it is kept, and hidden."))
    return done or render_and_commit("documents/withdraw.html", doc=doc, case=case, form=form)


def _served(data: bytes, mime: str, name: str) -> Response:
    response = send_file(BytesIO(data), mimetype=mime, as_attachment=True, download_name=name,
                         etag=False, conditional=False, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/documents/<int:doc_id>")
@login_required
@require(Permission.CASE_READ)
def download(doc_id: int) -> Response:
    _doc, granted = run_action(lambda: service.grant_content(current_actor(), doc_id))
    return _served(service.fetch(granted), granted.mime, granted.name)


@bp.get("/documents/<int:doc_id>/thumbnail")
@login_required
@require(Permission.CASE_READ)
def thumbnail(doc_id: int) -> Response:
    granted = run_action(lambda: service.grant_thumbnail(current_actor(), doc_id))
    return _served(service.fetch(granted), granted.mime, granted.name)


@bp.route("/referrals/<int:referral_id>/documents", methods=["GET", "POST"])
@login_required
@require(Permission.REFERRAL_SEND)
def referral_documents(referral_id: int) -> str | Response:
    choice = sharing.choice_for(current_actor(), referral_id)
    form = ShareForm(documents=sorted(choice.chosen))
    form.documents.choices = [(d.id, d.title) for d in choice.documents]
    done = submit_form(form, lambda: sharing.set_shared(current_actor(), referral_id,
                                                        form.documents.data or []),
                       done=url_for("referrals.detail", referral_id=referral_id),
                       message=_("The documents sent with this referral were saved."))
    return done or render_and_commit("documents/share.html", choice=choice, form=form)
