"""All models, importable from one place (Alembic and the app need every table registered)."""
from tracker.models.audit import AuditEvent
from tracker.models.enums import (
    Assessment,
    EscalationLevel,
    ExtensionStatus,
    Role,
    TaskStatus,
    TaskType,
    UnitKind,
    UpdateKind,
)
from tracker.models.org import Unit, User
from tracker.models.review import Comment, Review, ReviewKind
from tracker.models.task import Evidence, ExtensionRequest, ProgressUpdate, Task
from tracker.models.tenants import Organization, OrgLevel

__all__ = [
    "Assessment", "AuditEvent", "Comment", "EscalationLevel", "Evidence", "ExtensionRequest",
    "ExtensionStatus", "Organization", "OrgLevel", "ProgressUpdate", "Review", "ReviewKind", "Role", "Task", "TaskStatus", "TaskType",
    "Unit", "UnitKind", "UpdateKind", "User",
]

# Last, so that these modules may import the names above from tracker.models.
from tracker.models import accounts, notify, proposals  # noqa: E402,F401  (registers their tables)
