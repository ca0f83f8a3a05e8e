"""The people of a case: add one (with the duplicate check), correct one, their safe contact."""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, request
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, require
from referral.access.scope import current_actor
from referral.cases import people
from referral.cases import service as cases
from referral.cases.forms import AccessRequestForm, PersonForm, SafeContactForm
from referral.cases.iin import normalise_iin
from referral.cases.models import (
    PARTICIPANT_ROLE_LABELS,
    RELATIONSHIP_LABELS,
    SEX_LABELS,
    CaseParticipant,
    ParticipantRole,
)
from referral.cases.views.blueprint import bp
from referral.cases.views.helpers import Reloaded, _do, case_url, render_and_commit
from referral.web.submit import submit_form


def _fill_person_form(form: PersonForm) -> None:
    form.role.choices = [(r.value, str(PARTICIPANT_ROLE_LABELS[r])) for r in ParticipantRole]
    form.sex.choices = [("", "—")] + [(k, str(v)) for k, v in SEX_LABELS.items()]
    form.relationship_to_offender.choices = [("", "—")] + [
        (k, str(v)) for k, v in RELATIONSHIP_LABELS.items()]


def person_input(form: PersonForm | AccessRequestForm) -> people.PersonInput:
    """The person typed in a form (the person form, or an access request's copy of it)."""
    birth = form.birth_date.data
    if isinstance(birth, str):  # the access request form carries it as text
        try:
            birth = datetime.strptime(birth, "%Y-%m-%d").date() if birth else None
        except ValueError:
            birth = None

    def text(name: str) -> str:
        field = getattr(form, name, None)
        return (field.data or "") if field is not None else ""

    approx = getattr(form, "approx_age", None)
    return people.PersonInput(
        surname=text("surname"), given_name=text("given_name"), patronymic=text("patronymic"),
        sex=text("sex") or None, birth_date=birth, approx_age=approx.data if approx else None,
        iin=text("iin").strip())


def _participant_input(form: PersonForm) -> people.ParticipantInput:
    return people.ParticipantInput(
        role=form.role.data, relationship_to_offender=form.relationship_to_offender.data or None,
        phone=form.phone.data or "", has_disability=bool(form.has_disability.data),
        disability_note=form.disability_note.data or "", is_pregnant=bool(form.is_pregnant.data),
        note=form.note.data or "")


def _add(actor: object, case_id: int, form: PersonForm) -> object:
    """Add the person; the result is the participant, or the duplicates to decide on first."""
    existing = request.form.get("use_person", type=int)
    confirmed = request.form.get("confirm_new") == "1"
    return _do(lambda: people.add_participant(
        actor, case_id, person_input(form), _participant_input(form),
        existing_person_id=existing, confirmed_new=confirmed), form)


@bp.route("/<int:case_id>/people/new", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def add_person(case_id: int) -> str | Response:
    actor = current_actor()
    case = cases.writable_case(actor, case_id)
    form = PersonForm()
    _fill_person_form(form)
    if not form.is_submitted() and request.args.get("role") in {r.value for r in ParticipantRole}:
        form.role.data = request.args["role"]
    result = _add(actor, case_id, form) if form.validate_on_submit() else None
    if isinstance(result, CaseParticipant):
        flash(_("Person added to the case."), "success")
        return redirect(case_url(case_id, "people"))
    report = result if isinstance(result, people.DuplicateReport) else None
    return render_and_commit("cases/person_form.html", form=form, case=case, report=report,
                             access_form=AccessRequestForm(formdata=None), participant=None,
                             access_iin=normalise_iin(form.iin.data))


@bp.route("/people/<int:participant_id>/edit", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def edit_person(participant_id: int) -> str | Response:
    actor = current_actor()
    participant = cases.get_participant(actor, participant_id)
    case = cases.writable_case(actor, participant.case_id)
    form = PersonForm() if request.method == "POST" else PersonForm(obj=participant)
    _fill_person_form(form)
    if not form.is_submitted():
        for name in ("surname", "given_name", "patronymic", "sex", "birth_date", "iin"):
            getattr(form, name).data = getattr(participant.person, name)
        form.version.data = str(participant.version)
    stale = Reloaded(form, lambda: cases.get_participant(actor, participant_id))
    done = submit_form(form, lambda: people.update_participant(
        actor, participant_id, person_input(form), _participant_input(form),
        expected_version=int(form.version.data or 0)),
        done=case_url(case.id, "people"), message=_("Changes saved."), on_stale=stale)
    return done or render_and_commit(
        "cases/person_form.html", form=form, case=case, report=None, participant=participant,
        current=stale.current, relationship_labels=RELATIONSHIP_LABELS)


def _safe_contact_input(form: SafeContactForm) -> people.SafeContactInput:
    return people.SafeContactInput(
        safe_phone=form.safe_phone.data or "", safe_times=form.safe_times.data or "",
        do_not_contact=bool(form.do_not_contact.data), code_word=form.code_word.data or "",
        instructions=form.instructions.data or "")


@bp.route("/people/<int:participant_id>/safe-contact", methods=["GET", "POST"])
@login_required
@require(Permission.CASE_WRITE)
def safe_contact(participant_id: int) -> str | Response:
    actor = current_actor()
    participant = cases.get_participant(actor, participant_id)
    case = cases.writable_case(actor, participant.case_id, "identity_contact")
    contact = participant.safe_contact
    form = SafeContactForm() if request.method == "POST" else SafeContactForm(obj=contact)
    if not form.is_submitted():
        form.version.data = str(contact.version) if contact else ""
    version = int(form.version.data) if (form.version.data or "").isdigit() else None
    done = submit_form(form, lambda: people.save_safe_contact(
        actor, participant_id, _safe_contact_input(form), expected_version=version),
        done=case_url(case.id, "people"), message=_("Safe contact saved."))
    return done or render_and_commit(
        "cases/simple_form.html", form=form, case=case,
        title=_("Safe contact for %(name)s", name=participant.person.full_name))
