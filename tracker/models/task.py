from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.enums import ExtensionStatus, TaskStatus, TaskType
from tracker.models.types import UTCDateTime, utcnow


# Open (closed_at is NULL exactly while the task is not 已销号), notified, latest notice not 签收. No
# bound constants in it, so SQLite's planner can match the query's WHERE against the partial index.
UNACKNOWLEDGED_SQL = ("closed_at IS NULL AND last_notice_at IS NOT NULL"
                      " AND (acknowledged_at IS NULL OR acknowledged_at < last_notice_at)")


# 待整改 / 整改中 as literal SQL: a partial index is used only where the query states its predicate.
OPEN_STATUS_SQL = f"status IN ('{TaskStatus.PENDING.value}', '{TaskStatus.IN_PROGRESS.value}')"


class Task(db.Model):
    """整改任务: one problem named in a 点评 (or county-wide), owned by one unit's secretary."""

    __tablename__ = "task"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id"))
    # Overall (county-wide) problems have no comment and no unit: the organization department owns them.
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    is_overall: Mapped[bool] = mapped_column(default=False)
    # The unit's county (county-wide tasks: the review's), kept by tracker.models.tenants on insert: scoping a
    # city's million tasks to a county reads one indexed column instead of joining units.
    county_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    position: Mapped[int] = mapped_column(Integer)  # order of the problem in its 点评
    ledger_position: Mapped[int] = mapped_column(Integer)  # order in the review's 整改台账
    problem_text: Mapped[str] = mapped_column(Text)
    task_type: Mapped[str] = mapped_column(String(10), default=TaskType.TIME_LIMITED)
    deadline: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=TaskStatus.PENDING)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    responsible_person: Mapped[str] = mapped_column(String(100), default="")  # 具体责任人
    measures: Mapped[str] = mapped_column(Text, default="")  # 整改措施
    assessment: Mapped[str | None] = mapped_column(String(4))  # 验收评价
    round: Mapped[int] = mapped_column(default=1)  # 2 and above: 二次整改
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # --- escalation state (owned by tracker.notify) ---
    escalation_level: Mapped[int] = mapped_column(default=0)
    # Rules in force when the task got its deadline: later config edits do not move running tasks.
    policy: Mapped[dict | None] = mapped_column(JSON)
    # Bumped by an approved extension: a new cycle of reminders starts.
    reminder_cycle: Mapped[int] = mapped_column(default=1)
    # When the scanner must look at this task again; NULL once closed. The scan reads this index only.
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "<cycle>:<rule>" of the most advanced notice handled (sent or skipped) in the current cycle.
    notice_stage: Mapped[str | None] = mapped_column(String(60))
    # Idempotency key of the latest notice: 签收 through its link marks the task acknowledged.
    last_notice_key: Mapped[str | None] = mapped_column(String(200))
    # Local date the current reminder cycle began (deadline set, 延期 approved, 退回/回头看 with a new
    # 整改时限). Milestones dated before it belong to an earlier cycle: the scan never catches up on them.
    cycle_started_on: Mapped[date | None] = mapped_column(Date)

    review = relationship("Review")
    comment = relationship("Comment")
    unit = relationship("Unit")
    owner = relationship("User")
    updates: Mapped[list["ProgressUpdate"]] = relationship(
        back_populates="task", order_by="ProgressUpdate.created_at"
    )

    __table_args__ = (
        Index("ix_task_next_check", "next_check_at"),
        Index("ix_task_unit_status", "unit_id", "status"),
        Index("ix_task_county_status", "county_id", "status"),
        Index("ix_task_review_ledger", "review_id", "ledger_position"),
        Index("ix_task_status_deadline", "status", "deadline"),
        Index("ix_task_level", "escalation_level"),
        # 已提醒未签收 on the dashboard: a partial index holding exactly the rows of that predicate
        # (tracker.escalation.summary.unacknowledged_filter, which must stay textually identical).
        Index("ix_task_unacknowledged", "last_notice_at", "id",
              postgresql_where=text(UNACKNOWLEDGED_SQL), sqlite_where=text(UNACKNOWLEDGED_SQL)),
        # A unit's most overdue open tasks in order (tracker.escalation.unit_check): the unit proposal reads
        # its first 200, not every overdue task of the unit.
        Index("ix_task_unit_open_deadline", "unit_id", "deadline", "id",
              postgresql_where=text(OPEN_STATUS_SQL), sqlite_where=text(OPEN_STATUS_SQL)),
    )

    @property
    def is_closed(self) -> bool:
        return self.status == TaskStatus.CLOSED


class ProgressUpdate(db.Model):
    """整改进展 and the other things a unit writes about its task (plan, closure request, 情况说明)."""

    __tablename__ = "progress_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    task: Mapped[Task] = relationship(back_populates="updates")
    author = relationship("User")
    evidence: Mapped[list["Evidence"]] = relationship(back_populates="update")


class Evidence(db.Model):
    """佐证材料: a file stored under a generated name outside static/."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    update_id: Mapped[int | None] = mapped_column(ForeignKey("progress_update.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    update: Mapped[ProgressUpdate | None] = relationship(back_populates="evidence")
    task = relationship("Task")


class ExtensionRequest(db.Model):
    """延期申请."""

    __tablename__ = "extension_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    requested_deadline: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=ExtensionStatus.REQUESTED)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    task = relationship("Task")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
