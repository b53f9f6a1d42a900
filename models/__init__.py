"""SQLAlchemy models, one module per aggregate. Importing this package registers every table."""

from models.attachment import Attachment
from models.audit import AuditEntry
from models.base import Base, UTCDateTime
from models.canned_response import CannedResponse
from models.category import RequirementCategory
from models.communication import Communication, CommunicationChannel, Direction
from models.custom_field import CustomFieldDefinition, FieldKind
from models.customer import (
    Channel,
    Consent,
    Customer,
    CustomerEmail,
    CustomerPhone,
    LifecycleStage,
    Organisation,
    Tag,
    customer_tags,
)
from models.idempotency import IdempotencyRecord
from models.import_job import ImportJob
from models.inbound_email import InboundEmail, InboundKind
from models.notification import MailServerStatus, Notification, NotificationPreference
from models.outbox import OutboxMessage, OutboxStatus
from models.outreach import (
    DueStep,
    DueStepStatus,
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    Strategy,
    StrategyStatus,
    StrategyVersion,
    VariantSplit,
    sync_delivery,
)
from models.privacy import CustomerAccess, ErasureJob, RetentionPolicy
from models.requirement import Priority, Requirement, RequirementEvent
from models.saved_view import SavedView
from models.search import CustomerSearchDocument, CustomerSearchKey, RequirementSearchDocument
from models.segment import Segment
from models.sla import (
    Calendar,
    Holiday,
    Metric,
    SlaClock,
    SlaPolicy,
    SlaPolicyVersion,
    SlaStatus,
    WorkingDay,
)
from models.suppression import EmailSuppression, SuppressionReason
from models.timer import Timer, TimerStatus
from models.transaction import (
    CustomerValue,
    DailyRevenue,
    Transaction,
    TransactionKind,
    TransactionStatus,
)
from models.user import ApiToken, Role, Team, TeamMembership, User

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEntry",
    "Base",
    "Calendar",
    "CannedResponse",
    "Channel",
    "Communication",
    "CommunicationChannel",
    "Consent",
    "CustomFieldDefinition",
    "Customer",
    "CustomerAccess",
    "CustomerEmail",
    "CustomerPhone",
    "CustomerSearchDocument",
    "CustomerSearchKey",
    "CustomerValue",
    "DailyRevenue",
    "Direction",
    "DueStep",
    "DueStepStatus",
    "EmailSuppression",
    "Enrolment",
    "EnrolmentEvent",
    "EnrolmentStatus",
    "ErasureJob",
    "FieldKind",
    "Holiday",
    "IdempotencyRecord",
    "ImportJob",
    "InboundEmail",
    "InboundKind",
    "LifecycleStage",
    "MailServerStatus",
    "Metric",
    "Notification",
    "NotificationPreference",
    "Organisation",
    "OutboxMessage",
    "OutboxStatus",
    "Priority",
    "Requirement",
    "RequirementCategory",
    "RequirementEvent",
    "RequirementSearchDocument",
    "RetentionPolicy",
    "Role",
    "SavedView",
    "Segment",
    "SlaClock",
    "SlaPolicy",
    "SlaPolicyVersion",
    "SlaStatus",
    "Strategy",
    "StrategyStatus",
    "StrategyVersion",
    "SuppressionReason",
    "Tag",
    "Team",
    "TeamMembership",
    "Timer",
    "TimerStatus",
    "Transaction",
    "TransactionKind",
    "TransactionStatus",
    "UTCDateTime",
    "User",
    "VariantSplit",
    "WorkingDay",
    "customer_tags",
    "sync_delivery",
]
