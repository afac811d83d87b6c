"""约谈 / 通报 proposals, the decisions people take on them, and 组织处理 records.

The system proposes; people decide. A Proposal is written by the escalation scan; a ProposalDecision only
by a member of the organization department; an OrgHandling only through the org department's form.
"""
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.org import Unit, User
from tracker.models.task import Task
from tracker.models.types import UTCDateTime, utcnow


class ProposalKind(StrEnum):
    TALK = "约谈"
    CIRCULAR = "通报"


class ProposalStatus(StrEnum):
    PENDING = "待决定"
    DECIDED = "已决定"
    DISMISSED = "已驳回"
    # Every task it listed was 销号 before anyone decided: nothing left to talk about (resolved_on says when).
    RESOLVED = "已整改"


class ProposalSubject(StrEnum):
    TASK = "task"  # one overdue task (escalation level 2 or 3)
    UNIT = "unit"  # a unit with many overdue tasks (问题较多、长期打不开局面)
    # One secretary (or, for tasks without one, the unit) and all their tasks that reached the rule this
    # month; tasks are added while it waits for a decision. The scan proposes only these now; TASK
    # proposals remain from before.
    PERSON = "person"


class Proposal(db.Model):
    """A 约谈 or 通报 the system proposes; the organization department decides or dismisses it."""

    __tablename__ = "proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(4))
    subject: Mapped[str] = mapped_column(String(10))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    # Set for both subjects (a task proposal copies its task's unit): secretaries' access and lists go by it.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    # What makes a proposal unique: "person:<owner id>:<YYYY-MM>" ("person:u<unit id>:…" without an owner;
    # "…-2" after a decision that month), "unit:<id>:<YYYY-MM>", or the older "task:<id>:c<reminder_cycle>".
    # One column so that a single unique constraint (ON CONFLICT DO NOTHING) holds on both databases.
    scope_key: Mapped[str] = mapped_column(String(60))
    # The secretary a PERSON proposal is about (NULL: the unit's tasks without an owner).
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    resolved_on: Mapped[date | None] = mapped_column(Date)  # local day its last task was 销号 (已整改)
    reminder_cycle: Mapped[int | None] = mapped_column(Integer)
    source_level: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(4), default=ProposalStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    task: Mapped[Task | None] = relationship(Task)
    unit: Mapped[Unit | None] = relationship(Unit)
    owner: Mapped[User | None] = relationship(User, foreign_keys=[owner_id])
    tasks: Mapped[list["ProposalTask"]] = relationship(
        back_populates="proposal", order_by="ProposalTask.id", cascade="all, delete-orphan"
    )
    decision: Mapped["ProposalDecision | None"] = relationship(back_populates="proposal", uselist=False)

    __table_args__ = (
        UniqueConstraint("kind", "scope_key", name="uq_proposal_kind_scope"),
        # The 约谈 / 通报 lists: by kind and status, newest first.
        Index("ix_proposal_kind_status_created", "kind", "status", "created_at"),
    )

    @property
    def is_pending(self) -> bool:
        return self.status == ProposalStatus.PENDING

    @property
    def subject_label(self) -> str:
        return {ProposalSubject.UNIT: "单位", ProposalSubject.PERSON: "责任人"}.get(self.subject, "整改任务")


class ProposalTask(db.Model):
    """A task a proposal is about, with what it looked like when proposed (the 通报 draft lists these)."""

    __tablename__ = "proposal_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"))
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    deadline: Mapped[date | None] = mapped_column(Date)
    days_overdue: Mapped[int] = mapped_column(Integer, default=0)
    level: Mapped[int] = mapped_column(Integer, default=0)
    # "<kind>:task:<id>:c<cycle>" for a task that reached a rule (a PERSON proposal): a task is proposed
    # for 约谈 (or 通报) once per reminder cycle, whichever proposal carries it. NULL on unit proposals.
    link_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    added_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    proposal: Mapped[Proposal] = relationship(back_populates="tasks")
    task: Mapped[Task] = relationship(Task)

    __table_args__ = (UniqueConstraint("proposal_id", "task_id", name="uq_proposal_task_pair"),)


class DecisionOutcome(StrEnum):
    DECIDED = "decided"
    DISMISSED = "dismissed"


class ProposalDecision(db.Model):
    """What the organization department did with a proposal: held it (on, by whom, 文号, note) or dismissed it."""

    __tablename__ = "proposal_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), unique=True)
    outcome: Mapped[str] = mapped_column(String(10))
    held_on: Mapped[date | None] = mapped_column(Date)
    held_by: Mapped[str] = mapped_column(String(200), default="")  # free-text names (约谈人 / 决定人)
    doc_number: Mapped[str] = mapped_column(String(60), default="")  # 文号
    note: Mapped[str] = mapped_column(Text, default="")
    # What the person concerned is told (约谈 time and place, what to report): the only part of a decision
    # besides its date and 文号 a secretary ever reads. The note above stays internal.
    owner_notice: Mapped[str] = mapped_column(Text, default="", server_default="")
    dismiss_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="decision")
    decided_by: Mapped[User] = relationship(User)

    @property
    def task_id(self) -> int | None:  # lets the audit trail file this row under its task
        return self.proposal.task_id if self.proposal is not None else None


class ExplanationRequest(db.Model):
    """The organization department asks the unit's secretary for a 情况说明 on a proposal's tasks.

    The secretary reads only the message and the date it is due: never the proposal it belongs to.
    """

    __tablename__ = "explanation_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date] = mapped_column(Date)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    proposal: Mapped[Proposal] = relationship(Proposal)
    requested_by: Mapped[User] = relationship(User)


# 《中国共产党组织处理规定（试行）》: the five ways of organizational handling.
ORG_HANDLING_MEASURES = ("停职检查", "调整职务", "责令辞职", "免职", "降职")


class OrgHandling(db.Model):
    """组织处理 of a cadre. Recorded by a person through the org department's form, never by the system."""

    __tablename__ = "org_handling"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    cadre_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Names as they stood at the decision: a later rename or transfer must not rewrite the record.
    cadre_name: Mapped[str] = mapped_column(String(50))
    cadre_title: Mapped[str] = mapped_column(String(50), default="")
    measure: Mapped[str] = mapped_column(String(10))
    doc_number: Mapped[str] = mapped_column(String(60))
    decided_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship(Unit)
    cadre: Mapped[User | None] = relationship(User, foreign_keys=[cadre_id])
    recorded_by: Mapped[User] = relationship(User, foreign_keys=[recorded_by_id])
    proposal: Mapped[Proposal | None] = relationship(Proposal)
