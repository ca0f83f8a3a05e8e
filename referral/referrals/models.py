"""Referrals: one agency asks another to serve a family, and the loop stays open until it closes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from sqlalchemy.orm.util import identity_key

from referral.accounts.models import User
from referral.agencies.models import Agency
from referral.cases.models import Case, CaseStatus, Incident
from referral.extensions import db
from referral.models_base import UTCDateTime, utcnow

_ACTIVE = "status IN ('accepted', 'in_progress')"
_OVERDUE_OPEN = "status IN ('expired', 'sent') AND NOT case_closed"
# What the overdue review shows of a referral row (migration 0018): its sections read a region's
# overdue and stalled referrals from their indexes alone on PostgreSQL.
_REVIEW_COLUMNS = ["reference", "case_id", "receiver_agency_id", "sender_agency_id",
                   "service_code", "urgency", "status", "deadline_at", "review_at",
                   "accepted_at", "last_progress_at", "received_at", "case_restricted",
                   "district_id"]


class Referral(db.Model):
    """A request from a sending agency to a receiving agency for one service.

    Scoped (see referral.referrals.scope). ``status`` only changes through the lifecycle table
    in referral.referrals.lifecycle, by conditional UPDATEs in the service.
    """

    __tablename__ = "referrals"
    __scoped__ = True
    __table_args__ = (
        Index("ix_referrals_inbox", "receiver_agency_id", "status", "deadline_at"),
        Index("ix_referrals_outbox", "sender_agency_id", "status"),
        Index("ix_referrals_status_deadline", "status", "deadline_at"),
        Index("ix_referrals_receiver_cases", "receiver_agency_id", "status", "case_id"),
        Index("ix_referrals_region_status_deadline", "region_code", "status", "deadline_at"),
        # Covering on PostgreSQL (migrations 0008, 0013, 0017, 0022): coordinator figures read a
        # region-year of referrals from the index alone.
        Index("ix_referrals_region_sent", "region_code", "sent_at",
              postgresql_include=["case_id", "receiver_agency_id", "status", "accepted_at",
                                  "deadline_at", "decline_reason", "outcome", "received_at",
                                  "service_code", "district_id", "case_restricted"]),
        Index("ix_referrals_sender_sent", "sender_agency_id", "sent_at"),
        Index("ix_referrals_previous", "previous_referral_id",
              postgresql_where=text("previous_referral_id IS NOT NULL"),
              sqlite_where=text("previous_referral_id IS NOT NULL")),
        # The minute sweep (migration 0009): "has this case an accepted referral?" and
        # "which active referrals made no progress since …?" from indexes alone.
        Index("ix_referrals_case_status", "case_id", "status"),
        # The sender's latest outcomes on the home page (migration 0009).
        Index("ix_referrals_sender_closed", "sender_agency_id", "closed_at", "id"),
        # Covering on PostgreSQL (migration 0012): the sweep finds the new stalled ones among
        # thousands already reminded from the index alone.
        Index("ix_referrals_stalled", text("coalesce(last_progress_at, accepted_at)"), "id",
              postgresql_include=["last_progress_at", "accepted_at"],
              postgresql_where=text(_ACTIVE), sqlite_where=text(_ACTIVE)),
        # The overdue review (migrations 0011, 0018): a region's expired or unanswered referrals
        # of open cases, and its active referrals by last progress, without reading the rest
        # of the decade; on PostgreSQL from the index alone (covering what a row shows).
        Index("ix_referrals_region_overdue", "region_code", "status", "deadline_at", "id",
              postgresql_include=[c for c in _REVIEW_COLUMNS
                                  if c not in ("status", "deadline_at")],
              postgresql_where=text(_OVERDUE_OPEN), sqlite_where=text(_OVERDUE_OPEN)),
        Index("ix_referrals_region_stalled", "region_code",
              text("coalesce(last_progress_at, accepted_at)"), "id",
              postgresql_include=_REVIEW_COLUMNS,
              postgresql_where=text(_ACTIVE), sqlite_where=text(_ACTIVE)),
        UniqueConstraint("sender_user_id", "idempotency_key", name="uq_referrals_idempotency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(24), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # The case's region and district, copied so that region-wide reading needs no join; kept
    # in step at the end of this module.
    region_code: Mapped[str] = mapped_column(String(8))
    district_id: Mapped[int | None] = mapped_column(Integer)
    # Whether the case is closed, copied for the same reason: a decade leaves thousands of
    # expired referrals per region on closed cases, which the overdue review must not read to
    # find the few on open ones. Set from the case when a referral is added (end of this
    # module) and moved by a database trigger when the case closes or reopens.
    case_closed: Mapped[bool] = mapped_column(Boolean, default=False,
                                              server_default=text("false"))
    # Whether the case is restricted: the referral rules' test, kept by the
    # database alone (triggers set it on insert and follow the case), never by the application.
    case_restricted: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    sender_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    sender_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    receiver_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    service_code: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(16), default="survivor")
    subject_participant_id: Mapped[int | None] = mapped_column(ForeignKey("case_participants.id"))
    urgency: Mapped[str] = mapped_column(String(16))
    risk_level: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    need_to_know: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="sent")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When a user of the receiving agency first opened it, and who (FHIR Task "received",
    # migration 0022): an unanswered referral nobody there has read is told apart from one
    # under review. Set once, by a conditional UPDATE (queries.note_opened).
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # No foreign key (migration 0022: SQLite adds one only by rebuilding the table, which
    # drops its triggers); users are deactivated, never deleted.
    received_by_id: Mapped[int | None] = mapped_column(Integer)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str | None] = mapped_column(String(32))
    decline_text: Mapped[str] = mapped_column(Text, default="")
    status_reason: Mapped[str | None] = mapped_column(String(32))
    status_text: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_text: Mapped[str] = mapped_column(Text, default="")
    holds_place: Mapped[bool] = mapped_column(Boolean, default=False)
    overflow_reason: Mapped[str] = mapped_column(Text, default="")
    programme_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sessions_attended: Mapped[int] = mapped_column(Integer, default=0)
    sessions_missed: Mapped[int] = mapped_column(Integer, default=0)
    previous_referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"))
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    sender_agency: Mapped[Agency] = relationship(foreign_keys=[sender_agency_id])
    receiver_agency: Mapped[Agency] = relationship(foreign_keys=[receiver_agency_id])
    sender_user: Mapped[User] = relationship(foreign_keys=[sender_user_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_user_id])
    accepted_by: Mapped[User | None] = relationship(foreign_keys=[accepted_by_id])
    consent: Mapped[ReferralConsent | None] = relationship(
        back_populates="referral", uselist=False
    )

    __mapper_args__ = {"version_id_col": version}


class ReferralConsent(db.Model):
    """What the survivor agreed to share with the receiving agency, or the legal ground without.

    Scoped through its referral. ``categories``: codes of referral.cases.scope.DATA_CATEGORIES.
    """

    __tablename__ = "referral_consents"
    __scoped__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), unique=True)
    consented: Mapped[bool] = mapped_column(Boolean, default=False)
    shared_with_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    legal_ground: Mapped[str | None] = mapped_column(String(32))
    legal_ground_text: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    referral: Mapped[Referral] = relationship(back_populates="consent")

    def is_active(self, now: datetime) -> bool:
        """Consent counts while given, not withdrawn and not past its end date."""
        return (
            self.consented
            and self.withdrawn_at is None
            and (self.valid_until is None or self.valid_until > now)
        )


class ReferralHistory(db.Model):
    """Who did what to a referral, when and why: the referral's part of the case timeline."""

    __tablename__ = "referral_history"
    __scoped__ = True
    __table_args__ = (Index("ix_referral_history_case", "case_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReferralProgressNote(db.Model):
    """A dated, signed note of how the work on a live referral goes (migration 0023).

    Append-only: never changed or deleted (a listener refuses it); a correction is a new note
    naming the one it corrects. Scoped (referral.referrals.scope): the receiving agency reads
    every note, the sending agency its own and, within the survivor's consent, the receiver's.
    """

    __tablename__ = "referral_progress_notes"
    __scoped__ = True
    __table_args__ = (Index("ix_referral_progress_notes_referral", "referral_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    author_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("referral_progress_notes.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship(foreign_keys=[author_user_id])
    agency: Mapped[Agency] = relationship(foreign_keys=[agency_id])


# The ORM never changes a note. The one other path is the retention purge's Core UPDATE that
# clears the text of notes past their period (referral/retention/purge.py), which this
# mapper-level listener deliberately does not see.
@event.listens_for(ReferralProgressNote, "before_update")
@event.listens_for(ReferralProgressNote, "before_delete")
def _append_only(_mapper: object, _connection: object, note: ReferralProgressNote) -> None:
    raise ValueError("referral progress notes are append-only: add a correcting note instead")


class AgencyCapacity(db.Model):
    """Shelter places in use at an agency; changed only by conditional UPDATEs (no lost places)."""

    __tablename__ = "agency_capacity"
    __unscoped__ = "a count of shelter places in use per agency, shown to every sender"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    places_in_use: Mapped[int] = mapped_column(Integer, default=0, nullable=False)



# --- the case's place, copied onto its referrals and incidents ---------------------------------
# Referrals and incidents keep a copy of their case's region and district, referrals also
# whether the case is closed, so region-wide lists and figures read one table. A new referral
# or incident takes its case's place (and closing) when it is flushed; a case closed or reopened
# later moves its referrals by a database trigger (status changes are conditional UPDATE
# statements the ORM does not see); and a case that moves region or district moves its
# referrals and incidents here, in the same flush, so no code path that adds a row or edits a
# case can leave a copy behind.

_PLACE = ("region_code", "district_id")
_cases = Case.__table__


def _place_of(session: Session, case_id: int) -> tuple[str, int | None, bool]:
    """The case's place and whether it is closed: from the session if it holds the case (it
    usually does: the row was made from it), else from the table (bookkeeping, outside the
    actor's scope)."""
    case = session.identity_map.get(identity_key(Case, case_id))
    if isinstance(case, Case) and case.region_code is not None:
        return case.region_code, case.district_id, case.status == CaseStatus.CLOSED
    row = session.connection().execute(
        select(_cases.c.region_code, _cases.c.district_id, _cases.c.status)
        .where(_cases.c.id == case_id)).one()
    return row.region_code, row.district_id, row.status == CaseStatus.CLOSED


@event.listens_for(Session, "before_flush")
def _follow_case_place(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.new):
        if isinstance(obj, Referral | Incident) and obj.case_id is not None:
            obj.region_code, obj.district_id, closed = _place_of(session, obj.case_id)
            if isinstance(obj, Referral):
                obj.case_closed = closed
    for obj in list(session.dirty):
        if not isinstance(obj, Case):
            continue
        state = inspect(obj).attrs
        if any(state[name].history.has_changes() for name in _PLACE):
            place = {"region_code": obj.region_code, "district_id": obj.district_id}
            for model in (Referral, Incident):  # bookkeeping: the case's edit was the check
                table = model.__table__  # type: ignore[attr-defined]
                session.connection().execute(
                    update(table).where(table.c.case_id == obj.id).values(place))
