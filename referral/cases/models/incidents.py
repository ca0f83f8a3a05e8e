"""Incidents of violence and the offences table they are qualified by."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from referral.agencies.models import _localised
from referral.extensions import db
from referral.models_base import UTCDateTime, utcnow


class Offence(db.Model):
    """Reference table of Kazakh offences (seeded from referral/data/offences.json).

    The kind (crime or criminal misdemeanour) follows each part's maximum penalty, so an article
    like 108-1 has no single kind: its ``kind`` is empty and its ``parts`` give each part's.
    """

    __tablename__ = "offences"
    __unscoped__ = "the criminal and administrative codes' articles: public law, the same for all"
    __unscoped__ = "a reference table of the law's offences, the same for every user"
    __table_args__ = (UniqueConstraint("code", "article", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16))  # "criminal" | "administrative"
    article: Mapped[str] = mapped_column(String(16))
    title_en: Mapped[str] = mapped_column(String(300))
    title_ru: Mapped[str] = mapped_column(String(300), default="")
    title_kk: Mapped[str] = mapped_column(String(300), default="")
    # crime | criminal_misdemeanour | administrative | "" (an article whose parts differ)
    kind: Mapped[str] = mapped_column(String(32))
    violence_types: Mapped[str] = mapped_column(String(80), default="")
    # The least GBVIMS type the offence implies ("" for none): 120 is rape whatever is ticked.
    gbv_type: Mapped[str] = mapped_column(String(32), default="", server_default="")
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    # Where the row was checked: the official text (adilet.zan.kz) of the code or amending law.
    source: Mapped[str] = mapped_column(String(300), default="", server_default="")

    parts: Mapped[list[OffencePart]] = relationship(lazy="selectin", order_by="OffencePart.part",
                                                    cascade="all, delete-orphan")

    @property
    def title(self) -> str:
        return _localised(self, "title")

    def kind_of(self, part: str = "") -> str:
        """The kind of one part ("" = part not stated: the article's kind, empty if they
        differ)."""
        found = [p.kind for p in self.parts if p.part == part] if part else []
        return found[0] if found else self.kind

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


class OffencePart(db.Model):
    """One part of an article whose parts differ in kind (108-1 part 1 a criminal misdemeanour,
    part 2 a crime)."""

    __tablename__ = "offence_parts"
    __unscoped__ = "the parts of the codes' articles: public law, the same for everyone"
    __unscoped__ = "a reference table of the law's offences, the same for every user"
    __table_args__ = (UniqueConstraint("offence_id", "part"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offence_id: Mapped[int] = mapped_column(ForeignKey("offences.id"))
    part: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(32))  # crime | criminal_misdemeanour


class Incident(db.Model):
    """One reported event of violence in the household."""

    __tablename__ = "incidents"
    __scoped__ = True
    __table_args__ = (
        Index("ix_incidents_survivor_when", "survivor_person_id", "occurred_at"),
        Index("ix_incidents_offender_when", "offender_person_id", "occurred_at"),
        # A region's incidents by time with everything the coordinator's export counts, from
        # the index alone on PostgreSQL.
        Index("ix_incidents_region_occurred", "region_code", "occurred_at",
              postgresql_include=["district_id", "case_id", "physical", "psychological",
                                  "sexual", "economic", "offence_id"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # The case's region and district, copied so that region-wide counting needs no join;
    # a listener at the end of referral/referrals/models.py keeps them in step.
    region_code: Mapped[str] = mapped_column(String(8))
    district_id: Mapped[int | None] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    place: Mapped[str] = mapped_column(String(300), default="")
    reported_by: Mapped[str] = mapped_column(String(20))
    survivor_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    offender_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    physical: Mapped[bool] = mapped_column(Boolean, default=False)
    sexual: Mapped[bool] = mapped_column(Boolean, default=False)
    psychological: Mapped[bool] = mapped_column(Boolean, default=False)
    economic: Mapped[bool] = mapped_column(Boolean, default=False)
    penetration: Mapped[bool] = mapped_column(Boolean, default=False)
    forced_marriage: Mapped[bool] = mapped_column(Boolean, default=False)
    gbv_type: Mapped[str] = mapped_column(String(32))
    # GBVIMS case context (referral/cases/classification.py): ticked or derived from the
    # survivor's relationship to the offender and age on the day.
    context_intimate_partner: Mapped[bool] = mapped_column(Boolean, default=False,
                                                           server_default=text("false"))
    context_child_sexual_abuse: Mapped[bool] = mapped_column(Boolean, default=False,
                                                             server_default=text("false"))
    context_early_marriage: Mapped[bool] = mapped_column(Boolean, default=False,
                                                         server_default=text("false"))
    context_harmful_practice: Mapped[bool] = mapped_column(Boolean, default=False,
                                                           server_default=text("false"))
    offence_id: Mapped[int | None] = mapped_column(ForeignKey("offences.id"))
    # The article's part when it was determined ("" when not, or the article has no parts).
    offence_part: Mapped[str] = mapped_column(String(8), default="", server_default="")
    injuries: Mapped[str] = mapped_column(Text, default="")
    weapon: Mapped[str] = mapped_column(String(20), default="none")
    children_present: Mapped[bool] = mapped_column(Boolean, default=False)
    children_witnessed: Mapped[bool] = mapped_column(Boolean, default=False)
    police_record_number: Mapped[str] = mapped_column(String(60), default="")
    female_investigator_requested: Mapped[bool | None] = mapped_column(Boolean)
    description: Mapped[str] = mapped_column(Text, default="")
    is_repeat: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_by_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    offence: Mapped[Offence | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}
