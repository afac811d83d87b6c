"""Batch actions of the organization department's task list: a 整改时限 for the selected tasks, 催办 now.

Each runs in the caller's transaction and raises DomainError naming the task it stopped at: the view commits
all or nothing. 催办 goes through the outbox like the scan's (same mail, same recipients) and is audited.
"""
from datetime import date, datetime

from sqlalchemy.orm import joinedload

from tracker.escalation.calendar import WorkCalendar
from tracker.escalation.rules import Milestone
from tracker.escalation.scan import Recipients, task_draft
from tracker.mail.outbox import enqueue_drafts
from tracker.models import Task, User
from tracker.services import audit, deadlines
from tracker.services.errors import DomainError
from tracker.settings import settings
from tracker.timeutil import local_date

MAX_SELECTED = 500
UNKNOWN_SELECTED = "所选任务中有已不存在或无权处理的任务，请刷新页面后重新勾选"


def selected_tasks(session, base, ids: list[int]) -> list[Task]:
    """The tasks of `base` (what the user may see) among `ids`; every id must be one of them."""
    wanted = set(ids)
    if not wanted:
        raise DomainError("请先勾选要处理的整改任务")
    if len(wanted) > MAX_SELECTED:
        raise DomainError(f"一次最多处理{MAX_SELECTED}项任务，请缩小筛选范围")
    tasks = session.scalars(base.where(Task.id.in_(wanted)).options(joinedload(Task.unit), joinedload(Task.owner))
                            .order_by(Task.id)).unique().all()
    if len(tasks) != len(wanted):
        raise DomainError(UNKNOWN_SELECTED)
    return list(tasks)


def set_deadlines(session, tasks: list[Task], deadline: date, *, actor: User, now: datetime, reason: str) -> int:
    changed = 0
    for task in tasks:
        try:
            changed += bool(deadlines.set_deadline(
                session, task, deadline, actor=actor, now=now, rules=dict(settings().rules), reason=reason,
                tz=settings().timezone, new_cycle=task.deadline is not None and deadline > task.deadline))
        except DomainError as error:
            raise DomainError(f"“{task.problem_text[:30]}”：{error}（未修改任何任务）") from None
    return changed


def urge_now(session, tasks: list[Task], *, actor: User, now: datetime) -> int:
    """催办 each open task now, as the scan's 催办 mail (to its 责任人, the department in copy)."""
    open_tasks = [t for t in tasks if not t.is_closed]
    if not open_tasks:
        raise DomainError("所选任务均已销号，无需催办")
    no_owner = [t for t in open_tasks if t.owner is None]
    if no_owner:
        raise DomainError(f"“{no_owner[0].problem_text[:30]}”没有责任人，无法催办；请先指定责任人（未发送任何催办）")
    today = local_date(now, settings().timezone)
    recipients = Recipients.load(session, settings())
    calendar = WorkCalendar.load(session)
    drafts = []
    for task in open_tasks:
        key = f"manual-urge:{task.id}:{now:%Y%m%d%H%M}"
        drafts.append(task_draft(task, Milestone("urge", today), key=key, today=today, recipients=recipients,
                                 calendar=calendar))
        audit.record(session, actor=actor, now=now, action="urge_now", entity=task, note="县委组织部发出催办")
    enqueue_drafts(session, drafts, now)
    return len(open_tasks)


def tasks_for_export(session, query) -> list[Task]:
    return list(session.scalars(query).unique())

