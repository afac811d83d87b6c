"""The 整改 status workflow, in one place: 待整改 → 整改中 → 待销号审核 → 已销号, with 退回 back to 整改中."""
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from tracker.models import (
    Assessment,
    ProgressUpdate,
    Role,
    Task,
    TaskStatus,
    TaskType,
    UpdateKind,
    User,
)
from tracker.models.enums import PASSING_ASSESSMENTS
from tracker.services import audit, deadlines
from tracker.services.access import can_work_on_task
from tracker.services.errors import DomainError, PermissionDenied
from tracker.timeutil import cn_date, local_date
from tracker.settings import settings

S = TaskStatus


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    needs_reason: bool = False


TRANSITIONS = {
    t.name: t
    for t in (
        Transition("start", "开始整改", frozenset({S.PENDING}), S.IN_PROGRESS,
                   frozenset({Role.SECRETARY, Role.ORG_DEPT})),
        Transition("request_closure", "申请销号", frozenset({S.PENDING, S.IN_PROGRESS}),
                   S.AWAITING_VERIFICATION, frozenset({Role.SECRETARY, Role.ORG_DEPT}), needs_reason=True),
        Transition("close", "审核销号", frozenset({S.AWAITING_VERIFICATION}), S.CLOSED,
                   frozenset({Role.ORG_DEPT})),
        Transition("return", "退回", frozenset({S.AWAITING_VERIFICATION}), S.IN_PROGRESS,
                   frozenset({Role.ORG_DEPT}), needs_reason=True),
        # 回头看: a closed task found wanting is reopened for 二次整改.
        Transition("reopen", "回头看重新打开", frozenset({S.CLOSED}), S.IN_PROGRESS,
                   frozenset({Role.ORG_DEPT}), needs_reason=True),
    )
}


def allowed_actions(user: User, task: Task) -> list[Transition]:
    if not can_work_on_task(user, task):
        return []
    return [t for t in TRANSITIONS.values() if task.status in t.sources and user.role in t.roles]


def apply(session, task: Task, action: str, *, actor: User | None, now: datetime, reason: str = "",
          new_deadline: date | None = None, rules: dict | None = None, tz: str | None = None) -> Task:
    """Moves `task` by `action`, or raises DomainError saying why not. actor=None is the system.

    退回 and 回头看 (RESTARTS) send the task back to work: when its 整改时限 has passed, a new one is
    required and starts a new reminder cycle (deadlines.set_deadline(new_cycle=True)); before that it is
    optional. Without it the old cycle would resume overdue and the scan would escalate at once."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise DomainError(f"未知操作：{action}")
    if actor is not None:
        if not can_work_on_task(actor, task) or actor.role not in transition.roles:
            raise PermissionDenied(f"无权执行“{transition.label}”：仅{_roles_label(transition.roles)}可以操作")
    if task.status not in transition.sources:
        allowed = "、".join(sorted(transition.sources))
        raise DomainError(f"任务当前状态为“{task.status}”，不能{transition.label}（仅限状态：{allowed}）")
    reason = (reason or "").strip()
    if transition.needs_reason and not reason:
        raise DomainError(f"{transition.label}必须填写理由")
    if action in RESTARTS:
        check_new_deadline(task, new_deadline, label=transition.label, now=now, tz=tz)
    audit.change(session, actor=actor, now=now, entity=task, field="status", value=transition.target,
                 action=action, note=reason)
    if transition.target == S.CLOSED:
        task.closed_at = now
        task.next_check_at = None  # 销号 stops every notice
        from tracker.proposals.service import resolve_closed  # proposals import services, not the reverse

        resolve_closed(session, task, now)  # a 约谈/通报 proposal whose tasks are all 销号 is 已整改
    else:
        task.closed_at = None
        # Let the scanner look at the task again (it parks 待销号审核 tasks until they come back).
        task.next_check_at = now
    if action == "reopen":
        start_second_round(session, task, actor=actor, now=now, reason=reason)
        audit.change(session, actor=actor, now=now, entity=task, field="assessment", value=None, note=reason)
    if action in RESTARTS and new_deadline is not None:
        deadlines.set_deadline(session, task, new_deadline, actor=actor, now=now, rules=_rules(rules, task), tz=tz,
                           reason=f"{transition.label}：{reason}", new_cycle=True)
    return task


# Transitions that send a task back to work after its reminders may have run out.
RESTARTS = frozenset({"return", "reopen"})


def deadline_passed(task: Task, *, now: datetime, tz: str | None = None) -> bool:
    """Whether going back to work needs a new 整改时限 (长期坚持 tasks have none)."""
    return (task.task_type != TaskType.ONGOING and task.deadline is not None
            and task.deadline < local_date(now, tz))


def check_new_deadline(task: Task, new_deadline: date | None, *, label: str, now: datetime,
                       tz: str | None = None) -> None:
    if new_deadline is None and deadline_passed(task, now=now, tz=tz):
        raise DomainError(f"原整改时限{cn_date(task.deadline)}已过，{label}时须设定新的整改时限")
    if new_deadline is not None and task.task_type == TaskType.ONGOING:
        raise DomainError("长期坚持类任务没有整改时限")
    if new_deadline is not None and new_deadline < local_date(now, tz):
        raise DomainError(f"新的整改时限{cn_date(new_deadline)}早于今天（{cn_date(local_date(now, tz))}），请重新选择")


def _rules(rules: dict | None, task: Task) -> dict:
    if rules is not None:
        return rules
    return dict(settings().rules)


def start_second_round(session, task: Task, *, actor: User | None, now: datetime, reason: str) -> None:
    """二次整改: the round number is part of the task's history, so it is audited like the status."""
    audit.change(session, actor=actor, now=now, entity=task, field="round", value=task.round + 1,
                 action="second_round", note=reason)


def request_closure(session, task: Task, *, actor: User, now: datetime, summary: str) -> ProgressUpdate:
    summary = (summary or "").strip()
    apply(session, task, "request_closure", actor=actor, now=now, reason=summary)
    update = ProgressUpdate(task=task, author_id=actor.id, kind=UpdateKind.CLOSURE_REQUEST, body=summary,
                            created_at=now)
    session.add(update)
    return update


def verify(session, task: Task, *, actor: User, now: datetime, assessment: str, reason: str = "",
           new_deadline: date | None = None, rules: dict | None = None, tz: str | None = None) -> Task:
    """审核销号 with a 验收评价: 好/较好 close the task; 一般/差 send it back for 二次整改 (reason required,
    and a new 整改时限 when the old one has passed)."""
    try:
        grade = Assessment(assessment)
    except ValueError:
        raise DomainError("请选择验收评价：好、较好、一般或差") from None
    if actor is not None and _latest_closure_requester(session, task) == actor.id:
        raise PermissionDenied("申请销号与审核销号不能是同一人，请由县委组织部其他同志审核")
    if grade in PASSING_ASSESSMENTS:
        apply(session, task, "close", actor=actor, now=now, reason=reason)
    else:
        if not (reason or "").strip():
            raise DomainError(f"验收评价为“{grade}”时须填写退回理由，任务将进入二次整改")
        apply(session, task, "return", actor=actor, now=now, reason=reason, new_deadline=new_deadline,
              rules=rules, tz=tz)
        start_second_round(session, task, actor=actor, now=now, reason=reason)
    audit.change(session, actor=actor, now=now, entity=task, field="assessment", value=str(grade),
                 action="assess", note=reason)
    return task


def return_task(session, task: Task, *, actor: User, now: datetime, reason: str, new_deadline: date | None = None,
                rules: dict | None = None, tz: str | None = None) -> Task:
    return apply(session, task, "return", actor=actor, now=now, reason=reason, new_deadline=new_deadline,
                 rules=rules, tz=tz)


def reopen(session, task: Task, *, actor: User, now: datetime, reason: str, new_deadline: date | None = None,
           rules: dict | None = None, tz: str | None = None) -> Task:
    """回头看: a closed task found wanting goes back to 整改中 for 二次整改."""
    return apply(session, task, "reopen", actor=actor, now=now, reason=reason, new_deadline=new_deadline,
                 rules=rules, tz=tz)


def _latest_closure_requester(session, task: Task) -> int | None:
    return session.scalar(
        select(ProgressUpdate.author_id)
        .where(ProgressUpdate.task_id == task.id, ProgressUpdate.kind == UpdateKind.CLOSURE_REQUEST)
        .order_by(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc()).limit(1))


def _roles_label(roles) -> str:
    return "、".join(Role(r).label for r in sorted(roles))
