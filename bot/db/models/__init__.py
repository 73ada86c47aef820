"""The data model, one module per domain; import from here (`from bot.db.models import Unit`).

Health data (reports) lives in its own tables (models.reports).
"""

from bot.db.models.base import NAMING_CONVENTION, ROLE_TYPE, Base, Role, utcnow
from bot.db.models.duty import (
    Shift,
    SwapRequest,
    SwapStatus,
    VolunteerOffer,
)
from bot.db.models.faq import (
    FaqAddition,
    FaqFeedback,
    FaqVote,
    Question,
    QuestionKind,
    QuestionStatus,
)
from bot.db.models.machinery import (
    BotInstance,
    OutboxMessage,
    OutboxStatus,
    SeenUpdate,
    WebAppLogin,
)
from bot.db.models.notices import (
    Notice,
    NoticeRecipient,
    NoticeStatus,
)
from bot.db.models.org import (
    Account,
    AuditEntry,
    DailyFigures,
    Holiday,
    HouseholdEntry,
    Invite,
    JoinRequest,
    JoinStatus,
    Leave,
    LeaveKind,
    Member,
    Membership,
    Unit,
    UnitContact,
)
from bot.db.models.reports import (
    ABNORMAL_REPORT,
    Alert,
    Draft,
    HouseholdReport,
    Report,
    ReportRevision,
    ReportStatus,
    UnitDayReports,
)

__all__ = [
    "ABNORMAL_REPORT",
    "Account",
    "Alert",
    "AuditEntry",
    "Base",
    "BotInstance",
    "DailyFigures",
    "Draft",
    "FaqAddition",
    "FaqFeedback",
    "FaqVote",
    "Holiday",
    "HouseholdEntry",
    "HouseholdReport",
    "Invite",
    "JoinRequest",
    "JoinStatus",
    "Leave",
    "LeaveKind",
    "Member",
    "Membership",
    "NAMING_CONVENTION",
    "Notice",
    "NoticeRecipient",
    "NoticeStatus",
    "OutboxMessage",
    "OutboxStatus",
    "Question",
    "QuestionKind",
    "QuestionStatus",
    "ROLE_TYPE",
    "Report",
    "ReportRevision",
    "ReportStatus",
    "Role",
    "SeenUpdate",
    "Shift",
    "SwapRequest",
    "SwapStatus",
    "Unit",
    "UnitContact",
    "UnitDayReports",
    "VolunteerOffer",
    "WebAppLogin",
    "utcnow",
]
