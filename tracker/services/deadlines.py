"""The 整改时限 of a task and the rules snapshot it runs under: shared by task changes and the workflow."""
import copy
from datetime import date, datetime

from tracker.models import Role, Task, TaskType, User
from tracker.services import audit
from tracker.services.errors import DomainError, PermissionDenied
from tracker.timeutil import cn_date, local_date


def snapshot_policy(rules: dict) -> dict:
    return copy.deepcopy(dict(rules))


def require_org(actor: User | None) -> None:
    if actor is not None and actor.role != Role.ORG_DEPT:
        raise PermissionDenied("仅县委组织部可以执行此操作")


def check_deadline(deadline: date | None, task_type: str, *, now: datetime, tz: str | None = None) -> None:
    if task_type == TaskType.ONGOING:
        return
    if deadline is None:
        raise DomainError(f"“{task_type}”任务必须设置整改时限")
    today = local_date(now, tz)
    if deadline < today:
        raise DomainError(f"整改时限{cn_date(deadline)}早于今天（{cn_date(today)}），请重新选择")


def set_deadline(session, task: Task, deadline: date | None, *, actor: User | None, now: datetime,
                 rules: dict, reason: str = "", tz: str | None = None, new_cycle: bool = False) -> bool:
    """Sets the 整改时限 and records the rules it runs under. Past dates are refused."""
    require_org(actor)
    if task.is_closed:
        raise DomainError("任务已销号，不能修改整改时限")
    check_deadline(deadline, task.task_type, now=now, tz=tz)
    changed = audit.change(session, actor=actor, now=now, entity=task, field="deadline", value=deadline,
                           note=reason)
    if changed or task.policy is None:
        task.policy = snapshot_policy(rules)
    if changed and new_cycle:
        audit.change(session, actor=actor, now=now, entity=task, field="reminder_cycle",
                     value=task.reminder_cycle + 1, note=reason)
    if changed and (new_cycle or task.cycle_started_on is None):
        # Milestones dated before this day belong to an earlier cycle (or to no deadline at all): the
        # scan records them as skipped and never catches up on them.
        task.cycle_started_on = local_date(now, tz)
    task.next_check_at = now
    return changed
