"""红灯/黄灯/绿灯: from the deadline against today, and from what the escalation scan has already sent."""
from datetime import date
from types import SimpleNamespace

import pytest

from config import Config
from tracker.services.lights import light_for

TODAY = date(2026, 3, 2)


def task(deadline=date(2026, 4, 30), status="整改中", level=0, stage=None, cycle=1):
    return SimpleNamespace(deadline=deadline, status=status, escalation_level=level, notice_stage=stage,
                           reminder_cycle=cycle)


@pytest.mark.parametrize(
    ("kwargs", "key", "days_text"),
    [
        ({}, "green", "剩余59天"),
        ({"deadline": date(2026, 3, 9)}, "yellow", "剩余7天"),
        ({"deadline": date(2026, 3, 2)}, "yellow", "今天到期"),
        ({"deadline": date(2026, 2, 27)}, "red", "逾期3天"),
        ({"level": 1}, "red", "剩余59天"),
        ({"status": "已销号", "deadline": date(2026, 2, 1)}, "closed", "逾期29天"),
        ({"deadline": None}, "green", "长期坚持"),
        # What the scan already sent, on its own clock (tracker jobs tick --now …):
        ({"stage": "1:remind-5"}, "yellow", "剩余59天"),
        ({"stage": "1:urge"}, "red", "剩余59天"),
        ({"stage": "1:level2"}, "red", "剩余59天"),
        # A stage of an earlier cycle (before an approved 延期) no longer colours the task.
        ({"stage": "1:urge", "cycle": 2}, "green", "剩余59天"),
        ({"stage": "2:remind-2", "cycle": 2}, "yellow", "剩余59天"),
    ],
)
def test_light(kwargs, key, days_text):
    light = light_for(task(**kwargs), TODAY, Config.ESCALATION_RULES["due_soon_days"])
    assert (light.key, light.days_text) == (key, days_text)
