"""Regions, districts and agencies: who works where and what they offer."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from referral.extensions import db
from referral.models_base import UTCDateTime, utcnow


class AgencyType(enum.StrEnum):
    POLICE = "police"
    SPECIAL_POLICE = "special_police"
    CRISIS_CENTER = "crisis_center"
    FAMILY_SUPPORT = "family_support"
    SOCIAL_SERVICES = "social_services"
    HEALTH = "health"
    EDUCATION = "education"
    CORRECTIONAL_PROVIDER = "correctional_provider"
    NGO = "ngo"
    COORDINATION = "coordination"


AGENCY_TYPE_LABELS = {
    AgencyType.POLICE: _l("Police unit"),
    AgencyType.SPECIAL_POLICE: _l("Specialised police unit against domestic violence"),
    AgencyType.CRISIS_CENTER: _l("Crisis center"),
    AgencyType.FAMILY_SUPPORT: _l("Family support center"),
    AgencyType.SOCIAL_SERVICES: _l("Social services"),
    AgencyType.HEALTH: _l("Health"),
    AgencyType.EDUCATION: _l("Education"),
    AgencyType.CORRECTIONAL_PROVIDER: _l("Correctional programme provider"),
    AgencyType.NGO: _l("Non-governmental organisation"),
    AgencyType.COORDINATION: _l("Coordination office / akimat"),
}


def _localised(obj: object, stem: str) -> str:
    """The name in the current UI language, falling back to English."""
    try:
        lang = str(get_locale() or "en")[:2]
    except (RuntimeError, AttributeError):
        lang = "en"
    return getattr(obj, f"{stem}_{lang}", None) or getattr(obj, f"{stem}_en")


class Region(db.Model):
    """A first-level administrative unit, keyed by its ISO 3166-2 code (e.g. KZ-75)."""

    __tablename__ = "regions"
    __unscoped__ = "the list of regions is public to every signed-in user"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_ru: Mapped[str] = mapped_column(String(120))
    name_kk: Mapped[str] = mapped_column(String(120))
    centre: Mapped[str] = mapped_column(String(80), default="")

    districts: Mapped[list[District]] = relationship(
        back_populates="region", order_by="District.name_en"
    )

    @property
    def name(self) -> str:
        return _localised(self, "name")

    @property
    def number(self) -> str:
        """The numeric part of the ISO code, used in case references (KZ-75 -> 75)."""
        return self.code.split("-")[-1]


class District(db.Model):
    """A second-level unit; editable data. Remote districts are where coverage gaps show."""

    __tablename__ = "districts"
    __unscoped__ = "the list of districts is public to every signed-in user"
    __table_args__ = (UniqueConstraint("region_code", "name_en"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_ru: Mapped[str] = mapped_column(String(120), default="")
    name_kk: Mapped[str] = mapped_column(String(120), default="")
    is_remote: Mapped[bool] = mapped_column(Boolean, default=False)
    # The id in the file it was imported from (referral/imports): a re-import updates this row.
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True, index=True)

    region: Mapped[Region] = relationship(back_populates="districts")

    @property
    def name(self) -> str:
        return _localised(self, "name")


class Agency(db.Model):
    __tablename__ = "agencies"
    __unscoped__ = "the directory of agencies is public to every signed-in user"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    is_24_7: Mapped[bool] = mapped_column(Boolean, default=False)
    working_hours: Mapped[str] = mapped_column(String(120), default="")
    languages: Mapped[str] = mapped_column(String(60), default="kk,ru")
    wheelchair_accessible: Mapped[bool] = mapped_column(Boolean, default=False)
    shelter_places: Mapped[int] = mapped_column(Integer, default=0)
    children_admitted: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    # Open Referral HSDS fields: the organization's id in an imported file (a re-import updates
    # this row), its description and website.
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True, index=True)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    website: Mapped[str] = mapped_column(String(300), default="", server_default="")

    region: Mapped[Region] = relationship()
    district: Mapped[District | None] = relationship()
    services: Mapped[list[AgencyService]] = relationship(
        cascade="all, delete-orphan", order_by="AgencyService.service_code"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def type_label(self) -> str:
        return str(AGENCY_TYPE_LABELS.get(AgencyType(self.type), self.type))

    @property
    def service_codes(self) -> list[str]:
        return [s.service_code for s in self.services]

    @property
    def is_remote(self) -> bool:
        return bool(self.district and self.district.is_remote)


class AgencyService(db.Model):
    """A service an agency offers (codes in referral.agencies.catalogue)."""

    __tablename__ = "agency_services"
    __unscoped__ = "the services an agency offers are part of the public directory"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    service_code: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    # The HSDS service id in an imported file (referral/imports): a re-import updates this row.
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True, index=True)
