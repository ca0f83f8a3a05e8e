"""The people of a case: who someone is (one row per person across cases), their part in a
case, and how to reach a survivor safely."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
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

from referral.extensions import db
from referral.models_base import UTCDateTime, utcnow


class ParticipantRole(enum.StrEnum):
    SURVIVOR = "survivor"
    CHILD = "child"
    ALLEGED_OFFENDER = "alleged_offender"
    OTHER_HOUSEHOLD = "other_household"
    WITNESS = "witness"


PARTICIPANT_ROLE_LABELS = {
    ParticipantRole.SURVIVOR: _l("Survivor (victim)"),
    ParticipantRole.CHILD: _l("Child"),
    ParticipantRole.ALLEGED_OFFENDER: _l("Alleged offender"),
    ParticipantRole.OTHER_HOUSEHOLD: _l("Other household member"),
    ParticipantRole.WITNESS: _l("Witness"),
}

# Relationship of a person to the alleged offender (Law 214-IV: family-household relations
# include former spouses and people with a common child who never lived together).
RELATIONSHIP_LABELS = {
    "spouse": _l("Spouse"),
    "former_spouse": _l("Former spouse"),
    "partner": _l("Partner (living together)"),
    "former_partner": _l("Former partner"),
    "common_child_parent": _l("Parent of a common child"),
    "child": _l("Child"),
    "stepchild": _l("Stepchild"),
    "parent": _l("Parent"),
    "sibling": _l("Brother or sister"),
    "in_law": _l("Relative by marriage"),
    "other_relative": _l("Other relative"),
    "cohabitant": _l("Lives or lived in the same household"),
    "none": _l("Not related"),
    "self": _l("This is the alleged offender"),
}

SEX_LABELS = {"female": _l("Female"), "male": _l("Male")}


class Person(db.Model):
    """Who someone is; the same person may appear in many cases, in different roles.

    Scoped: visible when the person takes part in a case the actor sees.
    """

    __tablename__ = "people"
    __scoped__ = True
    # One person per IIN; the service stores it normalised (digits only).
    __table_args__ = (Index("uq_people_iin", "iin", unique=True,
                            postgresql_where=text("iin IS NOT NULL"),
                            sqlite_where=text("iin IS NOT NULL")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    surname: Mapped[str] = mapped_column(String(120))
    given_name: Mapped[str] = mapped_column(String(120))
    patronymic: Mapped[str] = mapped_column(String(120), default="")
    name_key: Mapped[str] = mapped_column(String(400), index=True, default="")
    sex: Mapped[str | None] = mapped_column(String(8))
    birth_date: Mapped[date | None] = mapped_column(Date, index=True)
    birth_year_estimate: Mapped[int | None] = mapped_column(Integer)
    iin: Mapped[str | None] = mapped_column(String(12))
    created_by_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.surname, self.given_name, self.patronymic) if p)

    def age_on(self, day: date) -> int | None:
        if self.birth_date:
            b = self.birth_date
            return day.year - b.year - ((day.month, day.day) < (b.month, b.day))
        if self.birth_year_estimate:
            return day.year - self.birth_year_estimate
        return None


class CaseParticipant(db.Model):
    """A person's part in one case: role, relationship to the alleged offender, contact."""

    __tablename__ = "case_participants"
    __scoped__ = True
    __table_args__ = (UniqueConstraint("case_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), index=True)
    relationship_to_offender: Mapped[str | None] = mapped_column(String(24))
    phone: Mapped[str] = mapped_column(String(40), default="")
    has_disability: Mapped[bool] = mapped_column(Boolean, default=False)
    disability_note: Mapped[str] = mapped_column(String(300), default="")
    is_pregnant: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    person: Mapped[Person] = relationship(lazy="joined")
    safe_contact: Mapped[SafeContact | None] = relationship(
        back_populates="participant", uselist=False
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def role_label(self) -> str:
        return str(PARTICIPANT_ROLE_LABELS.get(ParticipantRole(self.role), self.role))


class SafeContact(db.Model):
    """How to reach a survivor without putting them in danger: shown before any contact."""

    __tablename__ = "safe_contacts"
    __scoped__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("case_participants.id"), unique=True)
    safe_phone: Mapped[str] = mapped_column(String(40), default="")
    safe_times: Mapped[str] = mapped_column(String(200), default="")
    do_not_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    code_word: Mapped[str] = mapped_column(String(80), default="")
    instructions: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    participant: Mapped[CaseParticipant] = relationship(back_populates="safe_contact")

    __mapper_args__ = {"version_id_col": version}
