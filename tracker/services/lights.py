"""红灯 / 黄灯 / 绿灯 and 逾期: how a task stands against its deadline, the same on every list, mail and export.

One rule, written twice on purpose: `light_for` for a task in hand (pages, mails), `light_case` in SQL over
the columns that hold a task's state: the task table's own (`light_sql`, the task list's filter) or the
maintained counts' (the 工作台, services.aggregates). tests/foundation/test_lights.py checks that light_for and
light_sql agree on every combination of status, deadline, level and scan stage; tests/aggregates that the
counts give the tasks' lights.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import String, and_, case, cast, literal, or_

from tracker.models import Task, TaskStatus, TaskType

OVERDUE_STAGES = frozenset({"urge", "level1", "level2", "level3"})
KEYS = ("red", "yellow", "green", "closed")  # worst first
LABELS = {"red": "红灯", "yellow": "黄灯", "green": "绿灯", "closed": "已销号"}
# 逾期 counts the tasks the unit still has to act on: one awaiting 销号 verification has done its part.
OVERDUE_STATUSES = (TaskStatus.PENDING, TaskStatus.IN_PROGRESS)


@dataclass(frozen=True)
class Light:
    key: str  # red / yellow / green / closed: the CSS class suffix
    label: str
    days_left: int | None  # negative when overdue; None without a deadline

    @property
    def days_text(self) -> str:
        if self.days_left is None:
            return "长期坚持"
        if self.days_left < 0:
            return f"逾期{-self.days_left}天"
        if self.days_left == 0:
            return "今天到期"
        return f"剩余{self.days_left}天"


def scan_stage(task) -> str:
    """The notice the scan last handled in the task's current cycle ("remind", "urge", "level1"…), or "".

    The scan runs on its own clock (`tracker jobs tick --now …` replays any moment), so a light that also
    follows what the scan has sent moves as the ladder does: 提醒 sent → at least yellow, 催办 sent → red.
    """
    stage = getattr(task, "notice_stage", None) or ""
    cycle, _, rule = stage.partition(":")
    if not rule or cycle != str(getattr(task, "reminder_cycle", 1)):
        return ""
    return rule.split("-", 1)[0]


def light_for(task: Task, today: date, due_soon_days: int) -> Light:
    """`due_soon_days`: the rules' due_soon_days (Settings.due_soon_days): how early a task turns 黄灯."""
    days_left = (task.deadline - today).days if task.deadline else None
    if task.status == TaskStatus.CLOSED:
        return Light("closed", LABELS["closed"], days_left)
    stage = scan_stage(task)
    # A task under 督办 or higher stays red on every list, even after an extension.
    if task.escalation_level >= 1 or (days_left is not None and days_left < 0) or stage in OVERDUE_STAGES:
        return Light("red", LABELS["red"], days_left)
    if (days_left is not None and days_left <= due_soon_days) or stage == "remind":
        return Light("yellow", LABELS["yellow"], days_left)
    return Light("green", LABELS["green"], days_left)


def worst(keys) -> str:
    """The light of a group of tasks (a unit): the worst of theirs; 已销号 only when all are."""
    present = set(keys)
    return next((key for key in KEYS if key in present), "closed")


def light_of(key: str) -> Light:
    return Light(key, LABELS[key], None)


def _stage_is(prefix: str):
    """notice_stage is "<reminder_cycle>:<prefix>…" (a stage of the current cycle)."""
    return Task.notice_stage.like(cast(Task.reminder_cycle, String) + literal(f":{prefix}%"))


def light_case(*, closed, level, deadline, red_stage, yellow_stage, today: date, due_soon_days: int):
    """light_for as a SQL CASE over any columns holding a task's state: the task table's own
    (light_sql) or the maintained counts' (services.aggregates), so both answer by the same rule."""
    red = or_(level >= 1, deadline < today, red_stage)
    yellow = or_(deadline <= today + timedelta(days=due_soon_days), yellow_stage)
    return case((closed, "closed"), (red, "red"), (yellow, "yellow"), else_="green")


def light_sql(today: date, due_soon_days: int):
    """light_for as a SQL CASE giving 'red' / 'yellow' / 'green' / 'closed' per task row."""
    return light_case(closed=Task.status == TaskStatus.CLOSED, level=Task.escalation_level, deadline=Task.deadline,
                      red_stage=or_(_stage_is("urge"), _stage_is("level")), yellow_stage=_stage_is("remind"),
                      today=today, due_soon_days=due_soon_days)


def is_overdue(task, today: date) -> bool:
    return (task.deadline is not None and task.deadline < today and task.task_type != TaskType.ONGOING
            and task.status in OVERDUE_STATUSES)


def overdue_case(*, deadline, not_ongoing, status, today: date):
    """is_overdue over any columns (see light_case)."""
    return and_(deadline.is_not(None), deadline < today, not_ongoing, status.in_(OVERDUE_STATUSES))


def overdue_sql(today: date):
    """is_overdue as a SQL condition."""
    return overdue_case(deadline=Task.deadline, not_ongoing=Task.task_type != TaskType.ONGOING, status=Task.status,
                        today=today)
