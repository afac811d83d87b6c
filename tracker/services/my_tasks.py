"""我的整改任务: the tasks a secretary may see, most urgent first, one page at a time, with the count per status.

The page is the secretary's start page and the one they reload most, so it costs one statement on the common
path: the page's rows carry their review's title, the unit's name and every status count (window sums,
computed over all the unit's tasks before the LIMIT), and the pager's total is the sum of those counts —
no separate count query. Only a page without rows (no tasks, or a page past the end) needs a second
statement for the counts. Rows are plain tuples with their light worked out here, never ORM objects.
"""
from dataclasses import dataclass
from datetime import date
from math import ceil

from sqlalchemy import case, func
from sqlalchemy import join as sa_join

from tracker.models import EscalationLevel, Review, Task, TaskStatus, Unit, User
from tracker.services.access import visible_tasks
from tracker.services.lights import Light, light_for

STATUSES = tuple(TaskStatus)


# Built once: these expressions are immutable, and rebuilding them cost more per request than the rows did.
URGENCY_ORDER = (
    # Open before awaiting verification before closed; escalated, then nearest deadline.
    case((Task.status == TaskStatus.CLOSED, 2), (Task.status == TaskStatus.AWAITING_VERIFICATION, 1), else_=0),
    # Escalated at all, not how far: ranking 约谈/通报 above 督办 would tell the secretary of a proposal.
    case((Task.escalation_level >= EscalationLevel.SUPERVISION, 1), else_=0).desc(),
    Task.deadline.is_(None),
    Task.deadline,
    Task.id,
)


@dataclass(slots=True)
class TaskRow:
    """What one line of the list shows: the fields light_for and scan_stage read, and the light itself."""
    id: int
    problem_text: str
    review_title: str
    task_type: str
    round: int
    deadline: date | None
    status: str
    escalation_level: int
    notice_stage: str | None
    reminder_cycle: int
    light: Light | None = None

    @property
    def is_closed(self) -> bool:
        return self.status == TaskStatus.CLOSED


@dataclass(frozen=True)
class Page:
    """The attributes the pager macro reads, named as Flask-SQLAlchemy's Pagination names them."""
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return ceil(self.total / self.per_page) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None


@dataclass(frozen=True)
class MyTasks:
    page: Page
    counts: dict  # status → number of the user's tasks in it
    unit_name: str | None


ROW_COLUMNS = (Task.id, Task.problem_text, Review.title, Task.task_type, Task.round, Task.deadline, Task.status,
               Task.escalation_level, Task.notice_stage, Task.reminder_cycle)
# After the row: the unit's name, the total and one count per status, all over the whole filtered set.
PAGE_COLUMNS = (*ROW_COLUMNS, Unit.name, func.count().over(),
                *(func.sum(case((Task.status == status, 1), else_=0)).over() for status in STATUSES))
PAGE_FROM = sa_join(Task, Review, Review.id == Task.review_id).outerjoin(Unit, Unit.id == Task.unit_id)


def my_tasks(session, user: User, *, page: int, per_page: int, today: date, due_soon_days: int) -> MyTasks:
    """Page `page` (from 1) of the tasks `user` may see (tracker.services.access.visible_tasks)."""
    base = visible_tasks(user)
    query = (base.with_only_columns(*PAGE_COLUMNS).select_from(PAGE_FROM).order_by(*URGENCY_ORDER)
             .limit(per_page).offset((page - 1) * per_page))
    rows = session.execute(query).all()
    width = len(ROW_COLUMNS)
    items = [TaskRow(*row[:width]) for row in rows]
    for item in items:
        item.light = light_for(item, today, due_soon_days)
    if rows:
        first = rows[0]
        unit_name, total = first[width], first[width + 1]
        counts = {status.value: n for status, n in zip(STATUSES, first[width + 2:]) if n}
    else:
        counts = dict(session.execute(
            base.with_only_columns(Task.status, func.count()).group_by(Task.status)).all())
        total = sum(counts.values())
        unit = session.get(Unit, user.unit_id) if user.unit_id is not None else None
        unit_name = unit.name if unit is not None else None
    return MyTasks(page=Page(items=items, page=page, per_page=per_page, total=total), counts=counts,
                   unit_name=unit_name)
