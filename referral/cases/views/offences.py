"""The offences reference table, and the offence choices of the incident form."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, require
from referral.cases import incidents
from referral.cases import offences as offence_table
from referral.cases.forms import OffenceForm
from referral.cases.views.blueprint import bp
from referral.cases.views.helpers import render_and_commit
from referral.web.forms import form_int
from referral.web.submit import submit_form


def offence_choices() -> list[tuple[Any, str]]:
    """Each article, and each of its parts where the parts differ in kind (the article alone
    then stands for "part not yet determined"), with its kind and dates."""
    choices: list[tuple[Any, str]] = [("", _("Not qualified yet"))]
    for o in offence_table.list_offences():
        period = ""
        if o.valid_until:
            period = " " + _("(until %(day)s)", day=o.valid_until.isoformat())
        elif o.valid_from and o.valid_from.year > 2015:  # not merely the 2014 codes' start
            period = " " + _("(from %(day)s)", day=o.valid_from.isoformat())
        for part in ["", *(p.part for p in o.parts)]:
            kind = incidents.OFFENCE_KINDS.get(o.kind_of(part), "")
            value = f"{o.id}:{part}" if part else str(o.id)
            choices.append((value, f"{offence_table.offence_label(o, part)} ({kind}){period}"))
    return choices


def offence_value(value: str | None) -> tuple[int | None, str]:
    """The form's "id" or "id:part" as (id, part); anything else as no offence, which the
    service then refuses when a part was sent without a known article."""
    number, _sep, part = (value or "").partition(":")
    offence_id = form_int(number)
    return offence_id, part.strip()[:8] if offence_id is not None else ""


def _add_offence(form: OffenceForm) -> Any:
    return offence_table.add_offence(
        code=form.code.data, article=form.article.data, kind=form.kind.data,
        source=form.source.data or "", title_en=form.title_en.data,
        title_ru=form.title_ru.data or "", title_kk=form.title_kk.data or "",
        valid_from=form.valid_from.data, valid_until=form.valid_until.data)


@bp.route("/offences", methods=["GET", "POST"])
@login_required
@require(Permission.REFERENCE_DATA_MANAGE)
def offences() -> str | Response:
    form = OffenceForm()
    done = submit_form(form, lambda: _add_offence(form), done=url_for("cases.offences"),
                       message=_("Offence added."))
    return done or render_and_commit("cases/offences.html", form=form,
                                     offences=offence_table.list_offences(),
                                     kinds=incidents.OFFENCE_KINDS,
                                     gbv_types=incidents.GBV_TYPES)
