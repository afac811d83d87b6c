"""What a task page puts on top: the one thing asked of the unit now, and what the organization department
needs beside its 审核销号 buttons (the 完成情况, the evidence, the measures, the count of updates)."""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from tracker.models import AuditEvent, Evidence, ProgressUpdate, Task, TaskStatus, TaskType, UpdateKind
from tracker.services.lights import is_overdue
from tracker.timeutil import cn_date

IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


@dataclass(frozen=True)
class NextStep:
    kind: str  # plan / progress / returned / waiting / closed: the CSS class todo-<kind> and the open form
    title: str
    text: str = ""
    reason: str = ""  # the 退回 / 二次整改 / 回头看 reason, shown whole
    open_form: str = ""  # plan / progress / closure: the form unfolded under the box


def last_return(session, task: Task) -> AuditEvent | None:
    """The latest change of status, when it sent the task back to work (退回, 一般/差, 回头看)."""
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.task_id == task.id, AuditEvent.entity_type == Task.__tablename__,
                                 AuditEvent.field == "status")
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(1))
    return event if event is not None and event.action in ("return", "reopen") else None


def next_step(session, task: Task, *, today: date, can_work: bool, pending_extension=None) -> NextStep:
    late = ""
    if is_overdue(task, today):
        late = f"已逾期{(today - task.deadline).days}天，"
    if task.status == TaskStatus.CLOSED:
        return NextStep("closed", "本任务已销号", f"验收评价：{task.assessment}" if task.assessment else "")
    if task.status == TaskStatus.AWAITING_VERIFICATION:
        return NextStep("waiting", "等待审核", "已申请销号，等待县委组织部审核销号。")
    returned = last_return(session, task)
    if not can_work:
        return NextStep("waiting", f"当前状态：{task.status}")
    if returned is not None:
        what = "回头看重新打开" if returned.action == "reopen" else "已被退回"
        return NextStep("returned", f"{what}：请按理由补充后重新申请销号",
                        late + "请补充整改措施、报送进展和佐证材料，然后重新申请销号。", reason=returned.note or "",
                        open_form="closure")
    if not task.measures:
        return NextStep("plan", "请提交整改措施", late + "先写明本单位的整改措施和具体责任人，再报送进展。",
                        open_form="plan")
    if pending_extension is not None:
        return NextStep("progress", "延期申请待审批",
                        f"已申请延期至{cn_date(pending_extension.requested_deadline)}，审批期间请继续报送进展。",
                        open_form="progress")
    if task.task_type == TaskType.ONGOING:
        return NextStep("progress", "请定期报送整改进展", "长期坚持类任务按月报送进展。", open_form="progress")
    return NextStep("progress", "请报送整改进展", late + "整改完成后，填写完成情况并上传佐证材料，申请销号。",
                    open_form="progress")


@dataclass
class VerificationPanel:
    summary: str  # the secretary's 整改完成情况 (the latest 申请销号)
    images: list[Evidence] = field(default_factory=list)
    files: list[Evidence] = field(default_factory=list)
    updates: int = 0  # 整改进展 reported

    @property
    def has_evidence(self) -> bool:
        return bool(self.images or self.files)


def verification_panel(session, task: Task) -> VerificationPanel:
    summary = session.scalar(
        select(ProgressUpdate.body).where(ProgressUpdate.task_id == task.id,
                                          ProgressUpdate.kind == UpdateKind.CLOSURE_REQUEST)
        .order_by(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc()).limit(1)) or ""
    updates = session.scalar(select(func.count(ProgressUpdate.id)).where(
        ProgressUpdate.task_id == task.id, ProgressUpdate.kind == UpdateKind.PROGRESS)) or 0
    panel = VerificationPanel(summary=summary, updates=updates)
    for item in session.scalars(select(Evidence).where(Evidence.task_id == task.id).order_by(Evidence.id)):
        (panel.images if item.content_type in IMAGE_TYPES else panel.files).append(item)
    return panel


def has_evidence(session, task: Task) -> bool:
    return session.scalar(select(func.count(Evidence.id)).where(Evidence.task_id == task.id)) > 0
