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


def test_the_sql_rule_agrees_with_light_for_on_every_combination(app, db):
    """light_sql counts thousands of tasks in one query; it must colour each exactly as light_for does."""
    import itertools
    from datetime import timedelta

    from sqlalchemy import select

    from tests.factories import make_review, make_task, make_unit
    from tracker.models import Task
    from tracker.services.lights import is_overdue, light_sql, overdue_sql

    unit, review = make_unit(db.session), make_review(db.session)
    combos = itertools.product(
        ("待整改", "整改中", "待销号审核", "已销号"),
        (None, -3, 0, 7, 8, 40),
        (0, 1, 3),
        (None, "1:remind-5", "1:urge", "1:level2", "2:urge", "1:ongoing-2026-03"),
    )
    for status, offset, level, stage in combos:
        t = make_task(db.session, unit, review=review, status=status,
                      deadline=None if offset is None else TODAY + timedelta(days=offset),
                      task_type="长期坚持" if offset is None else "限期整改")
        t.escalation_level, t.notice_stage = level, stage
    db.session.flush()
    due_soon = Config.ESCALATION_RULES["due_soon_days"]
    rows = db.session.execute(select(Task, light_sql(TODAY, due_soon), overdue_sql(TODAY))).all()
    assert len(rows) == 4 * 6 * 3 * 6
    for t, key, late in rows:
        assert light_for(t, TODAY, due_soon).key == key, (t.status, t.deadline, t.escalation_level, t.notice_stage)
        assert is_overdue(t, TODAY) == bool(late)
