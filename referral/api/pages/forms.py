"""The form that creates an API token: its name, whom it acts as, its role and lifetime."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from referral.access.permissions import ROLE_LABELS, Role
from referral.access.scope import Actor
from referral.agencies.models import Agency
from referral.api import token_service
from referral.extensions import db
from referral.web.forms import REQUIRED
from referral.web.widgets import SelectField

NEW_SERVICE_ACCOUNT = 0


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(REQUIRED), Length(max=120)],
                       description=_l("What the token is for, e.g. the system that uses it."))
    holder_id = SelectField(_l("Acts as"), coerce=int)
    service_account_name = StringField(_l("Name of the new service account"),
                                       validators=[Optional(), Length(max=200)])
    agency_id = SelectField(_l("Agency of the new service account"), coerce=int)
    role = SelectField(_l("Role"))
    days = IntegerField(_l("Valid for (days)"), default=token_service.DEFAULT_DAYS,
                        validators=[DataRequired(REQUIRED)])

    def fill(self, actor: Actor) -> TokenForm:
        """Choices for this actor: the holders and roles it may grant, the days it may give."""
        holders = [(NEW_SERVICE_ACCOUNT, _("A new service account"))]
        for user in token_service.holders_for(actor):
            label = (_("%(name)s (service account, %(agency)s)", name=user.full_name,
                       agency=user.agency.name) if user.is_service_account
                     else _("Me (%(name)s)", name=user.full_name))
            holders.append((user.id, label))
        self.holder_id.choices = holders
        self.role.choices = [(r, str(ROLE_LABELS[Role(r)]))
                             for r in token_service.grantable_roles(actor)]
        days = token_service.max_days()
        self.days.validators = [DataRequired(REQUIRED), NumberRange(1, days)]
        self.days.render_kw = {"min": 1, "max": days}
        if token_service.is_admin(actor):
            self.agency_id.choices = [(a.id, a.name) for a in db.session.execute(
                select(Agency).order_by(Agency.name)).scalars()]
        else:
            del self.agency_id
        return self

    def request(self) -> token_service.TokenRequest:
        """The service's request from what was typed."""
        holder = self.holder_id.data or None
        agency = getattr(self, "agency_id", None)
        return token_service.TokenRequest(
            name=self.name.data or "", role=self.role.data or "", days=self.days.data or 0,
            holder_id=holder,
            service_account_name=(self.service_account_name.data or "") if holder is None
            else None,
            agency_id=agency.data if agency is not None else None)
