"""Changes to a task other than its status: deadline, owner, plan, progress, extensions."""
from datetime import date, datetime

from sqlalchemy import select

from tracker.models import (
    ExtensionRequest,
    ExtensionStatus,
    ProgressUpdate,
    Role,
    Task,
    TaskStatus,
    TaskType,
    UpdateKind,
    User,
)
from tracker.services import audit, workflow
from tracker.services.access import can_work_on_task

from tracker.services.deadlines import check_deadline, require_org, set_deadline  # the 整改时限: deadlines.py
from tracker.services.errors import DomainError, PermissionDenied
from tracker.timeutil import cn_date


def _require_worker(actor: User, task: Task) -> None:
    if not can_work_on_task(actor, task):
        raise PermissionDenied("无权操作该整改任务")


def set_owner(session, task: Task, owner: User, *, actor: User, now: datetime, reason: str = "") -> bool:
    require_org(actor)
    if not owner.active:
        raise DomainError("该账号已停用，不能作为责任人")
    if task.is_overall:
        if owner.role != Role.ORG_DEPT:
            raise DomainError("全县共性问题的责任人必须是县委组织部人员")
    elif owner.role != Role.SECRETARY or owner.unit_id != task.unit_id:
        raise DomainError("责任人必须是该责任单位的书记")
    return audit.change(session, actor=actor, now=now, entity=task, field="owner_id", value=owner.id,
                        action="reassign", note=reason)


def submit_plan(session, task: Task, *, actor: User, now: datetime, measures: str,
                responsible_person: str = "") -> ProgressUpdate:
    _require_worker(actor, task)
    measures = (measures or "").strip()
    if not measures:
        raise DomainError("请填写整改措施")
    if task.is_closed:
        raise DomainError("任务已销号，不能修改整改措施")
    audit.change(session, actor=actor, now=now, entity=task, field="measures", value=measures)
    audit.change(session, actor=actor, now=now, entity=task, field="responsible_person",
                 value=(responsible_person or "").strip())
    if task.status == TaskStatus.PENDING:
        workflow.apply(session, task, "start", actor=actor, now=now)
    update = ProgressUpdate(task=task, author_id=actor.id, kind=UpdateKind.PLAN, body=measures, created_at=now)
    session.add(update)
    return update


def post_progress(session, task: Task, *, actor: User, now: datetime, body: str,
                  kind: str = UpdateKind.PROGRESS) -> ProgressUpdate:
    _require_worker(actor, task)
    body = (body or "").strip()
    if not body:
        raise DomainError("请填写整改进展内容")
    if task.is_closed:
        raise DomainError("任务已销号，如需补充请联系县委组织部")
    if task.status == TaskStatus.PENDING:
        workflow.apply(session, task, "start", actor=actor, now=now)
    update = ProgressUpdate(task=task, author_id=actor.id, kind=kind, body=body, created_at=now)
    session.add(update)
    session.flush()
    audit.record(session, actor=actor, now=now, action="post_update", entity=update, note=kind)
    return update


def request_extension(session, task: Task, *, actor: User, now: datetime, new_deadline: date | None,
                      reason: str, tz: str | None = None) -> ExtensionRequest:
    _require_worker(actor, task)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写延期理由")
    if task.is_closed:
        raise DomainError("任务已销号，无需延期")
    if task.task_type == TaskType.ONGOING:
        raise DomainError("长期坚持类任务没有整改时限，无需延期")
    if task.status == TaskStatus.AWAITING_VERIFICATION:
        raise DomainError("任务已申请销号，等待审核期间不能申请延期")
    if session.scalar(select(ExtensionRequest.id).where(ExtensionRequest.task_id == task.id,
                                                        ExtensionRequest.status == ExtensionStatus.REQUESTED)):
        raise DomainError("已有一份延期申请等待审批，请勿重复申请")
    if new_deadline is None:
        raise DomainError("请填写申请延期至的日期")
    check_deadline(new_deadline, task.task_type, now=now, tz=tz)
    if task.deadline is not None and new_deadline <= task.deadline:
        raise DomainError(f"延期后的时限须晚于现在的整改时限{cn_date(task.deadline)}")
    request = ExtensionRequest(task=task, requested_by_id=actor.id, requested_deadline=new_deadline,
                               reason=reason, created_at=now)
    session.add(request)
    session.flush()
    audit.record(session, actor=actor, now=now, action="request_extension", entity=request,
                 after=new_deadline, note=reason)
    return request


def decide_extension(session, request: ExtensionRequest, *, actor: User, now: datetime, approve: bool,
                     reason: str, rules: dict, tz: str | None = None) -> ExtensionRequest:
    """An approved 延期 moves the deadline and starts a new reminder cycle; a refusal needs a reason."""
    require_org(actor)
    reason = (reason or "").strip()
    if request.status != ExtensionStatus.REQUESTED:
        raise DomainError(f"该延期申请已{request.status}")
    if not approve and not reason:
        raise DomainError("驳回延期申请必须填写理由")
    status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
    audit.change(session, actor=actor, now=now, entity=request, field="status", value=status, note=reason)
    request.decided_by_id = actor.id
    request.decided_at = now
    request.decision_reason = reason
    if approve:
        set_deadline(session, request.task, request.requested_deadline, actor=actor, now=now, rules=rules,
                     reason=reason or "批准延期申请", tz=tz, new_cycle=True)
    return request
