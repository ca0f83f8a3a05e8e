"""Cases: one household at risk, owned by the agency that opened it."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
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

from referral.agencies.models import Agency, District, Region
from referral.extensions import db
from referral.models_base import UTCDateTime, utcnow


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    MONITORING = "monitoring"
    CLOSED = "closed"


CASE_STATUS_LABELS = {
    CaseStatus.OPEN: _l("Open"),
    CaseStatus.MONITORING: _l("Monitoring"),
    CaseStatus.CLOSED: _l("Closed"),
}


class RiskLevel(enum.StrEnum):
    STANDARD = "standard"
    MEDIUM = "medium"
    HIGH = "high"


RISK_LEVEL_LABELS = {
    RiskLevel.STANDARD: _l("Standard"),
    RiskLevel.MEDIUM: _l("Medium"),
    RiskLevel.HIGH: _l("High"),
}


_OPEN_HIGH = "risk_level = 'high' AND status <> 'closed'"
_UNACCEPTED = f"{_OPEN_HIGH} AND NOT referral_accepted"


class Case(db.Model):
    """A family (household) at risk. Scoped: see referral.cases.scope for who may see it."""

    __tablename__ = "cases"
    __scoped__ = True
    __table_args__ = (
        Index("ix_cases_region_status", "region_code", "status"),
        Index("ix_cases_owner_status", "owner_agency_id", "status"),
        # Found by the benchmark (migration 0006): active cases of a region, an officer's scope.
        Index("ix_cases_region_active", "region_code", "id",
              postgresql_where=text("status <> 'closed'"), sqlite_where=text("status <> 'closed'")),
        Index("ix_cases_owner_ids", "owner_agency_id", "id"),
        Index("ix_cases_sealed", "id", postgresql_where=text("restricted"),
              sqlite_where=text("restricted")),
        # The minute sweep's high-risk escalation (migration 0009).
        Index("ix_cases_high_risk_open", "high_risk_flagged_at", "id",
              postgresql_where=text(_OPEN_HIGH), sqlite_where=text(_OPEN_HIGH)),
        # A region's open high-risk cases: the coordinator's home panel and overdue review
        # (migration 0011).
        Index("ix_cases_region_high_risk_open", "region_code", "high_risk_flagged_at",
              postgresql_where=text(_OPEN_HIGH), sqlite_where=text(_OPEN_HIGH)),
        # Migration 0008: cases opened per district and risk level in a region (coordinator
        # figures), from the index alone on PostgreSQL.
        Index("ix_cases_region_created", "region_code", "created_at",
              postgresql_include=["id", "district_id", "restricted", "risk_level"]),
        # Migration 0015: the open high-risk cases no agency has taken up (the sweep's
        # escalation, the overdue review).
        Index("ix_cases_high_risk_unaccepted", "high_risk_flagged_at", "id",
              postgresql_where=text(_UNACCEPTED), sqlite_where=text(_UNACCEPTED)),
        # Migration 0016: the same cases per region (the coordinator's home and review).
        Index("ix_cases_region_high_risk_unaccepted", "region_code", "high_risk_flagged_at",
              "id", postgresql_where=text(_UNACCEPTED), sqlite_where=text(_UNACCEPTED)),
        # Migration 0014, PostgreSQL only (SQLite takes no NULLS LAST in an index):
        # ix_cases_region_risk_order, a region's cases in the case list's "high risk first"
        # order (referral.web.database.DATABASE_ONLY_INDEXES).
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.OPEN)
    closed_reason: Mapped[str | None] = mapped_column(String(40))
    # When the case was last closed (None while open): retention periods count from it
    # (referral/retention, migration 0029); reopening clears it.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    address: Mapped[str] = mapped_column(Text, default="")
    languages: Mapped[str] = mapped_column(String(60), default="")
    risk_level: Mapped[str | None] = mapped_column(String(16), index=True)
    high_risk_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    is_repeat: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # Whether any referral of the case was taken up (accepted, in progress, on hold, completed):
    # kept by triggers on referrals (migration 0015), never written by the application.
    referral_accepted: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false"), nullable=False)
    creation_token: Mapped[str | None] = mapped_column(String(36), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    region: Mapped[Region] = relationship()
    district: Mapped[District | None] = relationship()
    owner_agency: Mapped[Agency] = relationship()

    __mapper_args__ = {"version_id_col": version}


class CaseMember(db.Model):
    """A user named on a restricted case: only they (and no one by role alone) may see it."""

    __tablename__ = "case_members"
    __table_args__ = (UniqueConstraint("case_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseSequence(db.Model):
    """Per region and year counter behind readable case references (KZ-75-2026-000123)."""

    __tablename__ = "case_sequences"

    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


# --- people ------------------------------------------------------------------------------------


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
    # One person per IIN (migration 0024); the service stores it normalised (digits only).
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


# --- incidents ---------------------------------------------------------------------------------


class Offence(db.Model):
    """Reference table of Kazakh offences (seeded from referral/data/offences.json).

    The kind (crime or criminal misdemeanour) follows each part's maximum penalty, so an article
    like 108-1 has no single kind: its ``kind`` is empty and its ``parts`` give each part's.
    """

    __tablename__ = "offences"
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
        from referral.agencies.models import _localised

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
        # the index alone on PostgreSQL (migration 0013).
        Index("ix_incidents_region_occurred", "region_code", "occurred_at",
              postgresql_include=["district_id", "case_id", "physical", "psychological",
                                  "sexual", "economic", "offence_id"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # The case's region and district, copied so that region-wide counting needs no join
    # (migration 0013); referral/referrals/region_copy.py keeps them in step.
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
    # survivor's relationship to the offender and age on the day (migration 0021).
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


# --- risk ----------------------------------------------------------------------------------------


class RiskAssessment(db.Model):
    """One completed risk checklist; never edited, so assessments form the case's history."""

    __tablename__ = "risk_assessments"
    __scoped__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    survivor_participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_participants.id")
    )
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    score: Mapped[int] = mapped_column(Integer)
    unknown_count: Mapped[int] = mapped_column(Integer, default=0)
    computed_level: Mapped[str] = mapped_column(String(16))
    override_level: Mapped[str | None] = mapped_column(String(16))
    override_reason: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[str] = mapped_column(String(16))
    medium_from: Mapped[int] = mapped_column(Integer)
    high_from: Mapped[int] = mapped_column(Integer)
    # The instrument version (referral/data/risk_instrument.json) that gave the level, and why
    # (red flags and danger signs answered yes, the group threshold, the rules that decided), so
    # an assessment keeps its meaning when the instrument changes. No default: a row must say.
    instrument_version: Mapped[str] = mapped_column(String(16))
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)
    assessed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


# --- protective measures -------------------------------------------------------------------------


class ProtectiveMeasure(db.Model):
    """A protective order, court special requirements or another measure against the offender."""

    __tablename__ = "protective_measures"
    __scoped__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    measure_type: Mapped[str] = mapped_column(String(40))
    legal_basis: Mapped[str] = mapped_column(String(300), default="")
    against_participant_id: Mapped[int | None] = mapped_column(ForeignKey("case_participants.id"))
    issuing_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    issuing_body: Mapped[str] = mapped_column(String(200), default="")
    document_number: Mapped[str] = mapped_column(String(60), default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    conditions: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | revoked
    revoked_reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    issuing_agency: Mapped[Agency | None] = relationship()
    breaches: Mapped[list[MeasureBreach]] = relationship(order_by="MeasureBreach.occurred_at")

    __mapper_args__ = {"version_id_col": version}

    def in_force_on(self, day: date) -> bool:
        return self.status == "active" and self.starts_on <= day <= self.ends_on


class MeasureBreach(db.Model):
    __tablename__ = "measure_breaches"
    __scoped__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("protective_measures.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    description: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- notes and timeline --------------------------------------------------------------------------


class CaseNote(db.Model):
    """A case note; edits keep the earlier text in CaseNoteRevision (append-only history)."""

    __tablename__ = "case_notes"
    __scoped__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    revisions: Mapped[list[CaseNoteRevision]] = relationship(
        order_by="CaseNoteRevision.id.desc()"
    )

    __mapper_args__ = {"version_id_col": version}


class CaseNoteRevision(db.Model):
    __tablename__ = "case_note_revisions"
    __scoped__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("case_notes.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    replaced_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class TimelineEntry(db.Model):
    """One line of a case's timeline. ``data`` holds ids and codes; text is rendered on display."""

    __tablename__ = "case_timeline"
    __scoped__ = True
    __table_args__ = (Index("ix_case_timeline_case_at", "case_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    category: Mapped[str | None] = mapped_column(String(24))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    data: Mapped[dict] = mapped_column(JSON, default=dict)


# --- access requests -----------------------------------------------------------------------------


class AccessRequest(db.Model):
    """An agency asks the owner of a case it may not see for access (after a duplicate match).

    The requester never learns which case: only the owning agency's name, and the answer.
    """

    __tablename__ = "case_access_requests"
    __scoped__ = True
    __table_args__ = (Index("ix_access_requests_owner_status", "owner_agency_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    from_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    requester_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    requester_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    categories: Mapped[str] = mapped_column(String(120), default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner_agency: Mapped[Agency] = relationship(foreign_keys=[owner_agency_id])
    requester_agency: Mapped[Agency] = relationship(foreign_keys=[requester_agency_id])
