"""Cases: one household at risk, owned by the agency that opened it, and what is recorded on it.

The models live in modules by subject (the case, its people, incidents, what agencies record);
every name is importable from here, as ``referral.cases.models``.
"""

from referral.cases.models.case import (
    CASE_STATUS_LABELS,
    RISK_LEVEL_LABELS,
    Case,
    CaseMember,
    CaseSequence,
    CaseStatus,
    RiskLevel,
)
from referral.cases.models.incidents import Incident, Offence, OffencePart
from referral.cases.models.people import (
    PARTICIPANT_ROLE_LABELS,
    RELATIONSHIP_LABELS,
    SEX_LABELS,
    CaseParticipant,
    ParticipantRole,
    Person,
    SafeContact,
)
from referral.cases.models.records import (
    AccessRequest,
    CaseNote,
    CaseNoteRevision,
    MeasureBreach,
    ProtectiveMeasure,
    RiskAssessment,
    TimelineEntry,
)

__all__ = [
    "CASE_STATUS_LABELS",
    "PARTICIPANT_ROLE_LABELS",
    "RELATIONSHIP_LABELS",
    "RISK_LEVEL_LABELS",
    "SEX_LABELS",
    "AccessRequest",
    "Case",
    "CaseMember",
    "CaseNote",
    "CaseNoteRevision",
    "CaseParticipant",
    "CaseSequence",
    "CaseStatus",
    "Incident",
    "MeasureBreach",
    "Offence",
    "OffencePart",
    "ParticipantRole",
    "Person",
    "ProtectiveMeasure",
    "RiskAssessment",
    "RiskLevel",
    "SafeContact",
    "TimelineEntry",
]
