"""红灯 / 黄灯 / 绿灯: how a task stands against its deadline, the same on every list."""
from dataclasses import dataclass
from datetime import date

from tracker.models import Task, TaskStatus
from tracker.services import keys

OVERDUE_STAGES = frozenset({"urge", "level1", "level2", "level3"})


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
    stage = keys.parse_stage(getattr(task, "notice_stage", None))
    if stage is None or stage.cycle != str(getattr(task, "reminder_cycle", 1)):
        return ""
    return stage.family


def light_for(task: Task, today: date, due_soon_days: int) -> Light:
    """`due_soon_days`: the rules' due_soon_days (Settings.due_soon_days): how early a task turns 黄灯."""
    days_left = (task.deadline - today).days if task.deadline else None
    if task.status == TaskStatus.CLOSED:
        return Light("closed", "已销号", days_left)
    stage = scan_stage(task)
    # A task under 督办 or higher stays red on every list, even after an extension.
    if task.escalation_level >= 1 or (days_left is not None and days_left < 0) or stage in OVERDUE_STAGES:
        return Light("red", "红灯", days_left)
    if (days_left is not None and days_left <= due_soon_days) or stage == "remind":
        return Light("yellow", "黄灯", days_left)
    return Light("green", "绿灯", days_left)
