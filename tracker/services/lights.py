"""红灯 / 黄灯 / 绿灯: how a task stands against its deadline, the same on every list."""
from dataclasses import dataclass
from datetime import date

from tracker.models import Task, TaskStatus

DUE_SOON_DAYS = 7


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


def light_for(task: Task, today: date, due_soon_days: int = DUE_SOON_DAYS) -> Light:
    days_left = (task.deadline - today).days if task.deadline else None
    if task.status == TaskStatus.CLOSED:
        return Light("closed", "已销号", days_left)
    # A task under 督办 or higher stays red on every list, even after an extension.
    if task.escalation_level >= 1 or (days_left is not None and days_left < 0):
        return Light("red", "红灯", days_left)
    if days_left is not None and days_left <= due_soon_days:
        return Light("yellow", "黄灯", days_left)
    return Light("green", "绿灯", days_left)
