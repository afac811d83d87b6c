"""What the task page shows around a task: the problems of its 点评, and one timeline of everything that happened.

Three indexed queries per page (updates with their files, audited changes, extension requests), no N+1.
"""
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.models import (
    AuditEvent,
    EscalationLevel,
    Evidence,
    ExtensionRequest,
    ExtensionStatus,
    ProgressUpdate,
    Task,
    User,
)
from tracker.timeutil import cn_date

# Audited task fields the timeline shows, and how they read.
FIELD_LABELS = {
    "status": "状态",
    "deadline": "整改时限",
    "owner_id": "责任人",
    "escalation_level": "督办等级",
    "assessment": "验收评价",
    "responsible_person": "具体责任人",
    "task_type": "任务类型",
}


@dataclass
class TimelineEntry:
    at: datetime
    title: str
    actor: str = ""
    body: str = ""
    note: str = ""
    kind: str = "event"  # update / change / extension: a CSS hook
    files: list = field(default_factory=list)


def comment_problems(session, task: Task) -> list[tuple[int, str, bool]]:
    """(id, text, is_this_task) for every problem of the task's 点评, in the comment's order."""
    if task.comment_id is None:
        return [(task.id, task.problem_text, True)]
    rows = session.execute(
        select(Task.id, Task.problem_text).where(Task.comment_id == task.comment_id).order_by(Task.position, Task.id)
    ).all()
    return [(row.id, row.problem_text, row.id == task.id) for row in rows]


def pending_extension(session, task: Task) -> ExtensionRequest | None:
    return session.scalar(
        select(ExtensionRequest).where(ExtensionRequest.task_id == task.id,
                                       ExtensionRequest.status == ExtensionStatus.REQUESTED)
        .order_by(ExtensionRequest.created_at.desc()).limit(1)
    )


def _readable(field_name: str, value: str | None, users: dict[int, str]) -> str:
    if value is None or value == "":
        return "（无）"
    if field_name == "deadline":
        try:
            return cn_date(date.fromisoformat(value))
        except ValueError:
            return value
    if field_name == "escalation_level" and value.isdigit():
        return EscalationLevel.LABELS.get(int(value), value)
    if field_name == "owner_id" and value.isdigit():
        return users.get(int(value), f"用户{value}")
    return value


def _name(user) -> str:
    return user.name if user is not None else "系统"


def build_timeline(session, task: Task) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    updates = session.scalars(
        select(ProgressUpdate).where(ProgressUpdate.task_id == task.id)
        .options(selectinload(ProgressUpdate.author), selectinload(ProgressUpdate.evidence))
    ).all()
    for update in updates:
        entries.append(TimelineEntry(update.created_at, update.kind, _name(update.author), body=update.body,
                                     kind="update", files=sorted(update.evidence, key=lambda e: e.id)))
    loose_files = session.scalars(
        select(Evidence).where(Evidence.task_id == task.id, Evidence.update_id.is_(None))
    ).all()
    for item in loose_files:
        entries.append(TimelineEntry(item.uploaded_at, "上传佐证材料", kind="update", files=[item]))
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.task_id == task.id, AuditEvent.entity_type == Task.__tablename__,
                                 AuditEvent.field.in_(FIELD_LABELS))
        .options(selectinload(AuditEvent.actor))
    ).all()
    owner_ids = {int(v) for e in events if e.field == "owner_id" for v in (e.before, e.after) if v and v.isdigit()}
    users = {}
    if owner_ids:
        users = dict(session.execute(select(User.id, User.name).where(User.id.in_(owner_ids))).all())
    for event in events:
        label = FIELD_LABELS[event.field]
        body = (f"{label}：{_readable(event.field, event.before, users)} → "
                f"{_readable(event.field, event.after, users)}")
        entries.append(TimelineEntry(event.at, f"{label}变更", _name(event.actor), body=body, note=event.note,
                                     kind="change"))
    requests = session.scalars(
        select(ExtensionRequest).where(ExtensionRequest.task_id == task.id)
        .options(selectinload(ExtensionRequest.requested_by), selectinload(ExtensionRequest.decided_by))
    ).all()
    for item in requests:
        decision = ""
        if item.status != ExtensionStatus.REQUESTED:
            reason = f"：{item.decision_reason}" if item.decision_reason else ""
            decision = f"{item.status}（{_name(item.decided_by)}）{reason}"
        entries.append(TimelineEntry(item.created_at, "延期申请", _name(item.requested_by),
                                     body=f"申请延期至{cn_date(item.requested_deadline)}。理由：{item.reason}",
                                     note=decision or "待审批", kind="extension"))
    entries.sort(key=lambda e: e.at)
    return entries
