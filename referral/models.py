"""Import every model so that metadata, migrations and scope checks see them all."""

from __future__ import annotations

from referral.domains import domain_modules
from referral.extensions import db


def all_models() -> list[type]:
    domain_modules("models")
    domain_modules("scope")
    return [mapper.class_ for mapper in db.Model.registry.mappers]
