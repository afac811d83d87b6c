"""The maintained counts equal the counts recomputed from the tasks after random workloads, on whichever
database the suite runs (SQLite, and PostgreSQL with TRACKER_TEST_DB=postgresql).

The workload writes the way the app does: ORM changes one task at a time (workflow, owner changes), Core
bulk UPDATEs over sets (the escalation scan's levels, a unit merge), Core bulk INSERTs (the importer),
deletes, and transactions rolled back halfway.
"""
import random
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import delete, func, insert, select, text, update

from tests.factories import make_review, make_unit, make_user
from tracker.models import Comment, Role, Task, TaskStatus, TaskType
from tracker.services import dashboard
from tracker.services.aggregates import differences
from tracker.services.lights import KEYS, is_overdue, light_for, light_sql, overdue_sql

NOW = datetime(2026, 5, 1, 2, tzinfo=timezone.utc)
TODAY = date(2026, 5, 1)
STAGES = [None, "1:remind", "1:urge", "1:level1-x", "2:remind", "2:urge", "1:other"]


def _world(s, rng):
    units = [make_unit(s, f"镇{i}") for i in range(5)]
    owners = [make_user(s, Role.SECRETARY, unit=u, username=f"sec{i}", name=f"书记{i}") for i, u in enumerate(units)]
    reviews = [make_review(s, title="第一次"), make_review(s, title="第二次", held_on=date(2026, 2, 1))]
    comment = Comment(review=reviews[0], unit_id=units[0].id, position=1, secretary_name="", strengths="",
                      expectations="")
    s.add(comment)
    s.flush()
    return units, owners, reviews, comment


def _row(rng, units, owners, reviews, comment, position):
    status = rng.choice(list(TaskStatus))
    unit = rng.choice(units + [None])
    return {"review_id": rng.choice(reviews).id, "comment_id": comment.id, "unit_id": unit.id if unit else None,
            "is_overall": unit is None, "position": 1, "ledger_position": position, "problem_text": "问题",
            "task_type": rng.choice(list(TaskType)), "deadline": _deadline(rng), "status": status,
            "owner_id": rng.choice(owners).id, "escalation_level": rng.randint(0, 3),
            "closed_at": _closed_at(rng) if status == TaskStatus.CLOSED else None,
            "notice_stage": rng.choice(STAGES), "reminder_cycle": rng.choice([1, 1, 2]),
            "created_at": NOW, "updated_at": NOW}


def _deadline(rng):
    return None if rng.random() < 0.1 else TODAY + timedelta(days=rng.randint(-20, 20))


def _closed_at(rng):
    # Around local midnight on purpose: the closure day is the county's (UTC+8), not UTC's.
    return NOW - timedelta(days=rng.randint(0, 40), hours=rng.choice([0, 7, 15, 16, 17, 23]))


def _step(s, rng, units, owners, reviews, comment):
    ids = list(s.scalars(select(Task.id)))
    op = rng.randrange(11)
    if not ids or op == 0:  # the importer: rows in one Core INSERT
        base = (s.scalar(select(func.max(Task.ledger_position))) or 0) + 1
        s.execute(insert(Task), [_row(rng, units, owners, reviews, comment, base + i) for i in range(rng.randint(1, 8))])
        return
    task = s.get(Task, rng.choice(ids))
    if op == 1:  # a status change through the ORM, closed_at as the workflow sets it
        task.status = rng.choice(list(TaskStatus))
        task.closed_at = _closed_at(rng) if task.status == TaskStatus.CLOSED else None
    elif op == 2:
        task.deadline = _deadline(rng)
    elif op == 3:  # the scan: levels in sets
        chosen = rng.sample(ids, min(len(ids), rng.randint(1, 10)))
        s.execute(update(Task).where(Task.id.in_(chosen)).values(escalation_level=rng.randint(0, 3),
                                                                 notice_stage=rng.choice(STAGES)))
    elif op == 4:  # 换届: a new owner (no count moves, but the trigger runs)
        task.owner_id = rng.choice(owners).id
    elif op == 5:  # a unit merge: every task of one unit moves in one UPDATE
        source, target = rng.sample(units, 2)
        s.execute(update(Task).where(Task.unit_id == source.id).values(unit_id=target.id))
    elif op == 6:
        s.delete(task)
    elif op == 7:  # bulk delete
        s.execute(delete(Task).where(Task.id.in_(rng.sample(ids, min(len(ids), 3)))))
    elif op == 8:  # an extension: a new cycle of reminders
        task.reminder_cycle += 1
        task.deadline = TODAY + timedelta(days=rng.randint(-3, 30))
    elif op == 9:
        task.task_type = rng.choice(list(TaskType))
        task.review_id = rng.choice(reviews).id
    else:  # bulk update of statuses, as a batch 销号 would
        s.execute(update(Task).where(Task.id.in_(rng.sample(ids, min(len(ids), 5))))
                  .values(status=TaskStatus.IN_PROGRESS, closed_at=None))


def _from_tasks(s, today):
    """The 工作台's totals computed straight from the tasks (what the page did before the counts)."""
    light = light_sql(today, 7)
    lights = dict(s.execute(select(light, func.count()).group_by(light)).all())
    overdue = s.scalar(select(func.count()).where(overdue_sql(today)))
    return {key: lights.get(key, 0) for key in KEYS}, overdue


def test_counts_equal_the_tasks_after_random_workloads(app, db):
    rng = random.Random(20261202)
    s = db.session
    world = _world(s, rng)
    s.commit()
    for round_ in range(40):
        for _ in range(rng.randint(1, 12)):
            _step(s, rng, *world)
            s.flush()
        if rng.random() < 0.2:
            s.rollback()  # the counts roll back with the task changes
        else:
            s.commit()
        assert differences(s) == [], f"round {round_}"
    assert s.scalar(select(func.count()).select_from(Task)) > 0
    # Days chosen so that today…today+7 falls inside a month, across a month's end, and on its first day.
    for today in (TODAY - timedelta(days=15), TODAY - timedelta(days=3), TODAY, TODAY + timedelta(days=9),
                  TODAY + timedelta(days=27)):
        got = dashboard.overview(s, review_id=None, today=today, due_soon_days=7)
        assert (got.lights, got.overdue) == _from_tasks(s, today)
        assert got.total == s.scalar(select(func.count()).select_from(Task))
        for row in dashboard.unit_rows(s, review_id=None, today=today, due_soon_days=7):
            tasks = select(Task).where(Task.unit_id == row.unit_id if row.unit_id else Task.unit_id.is_(None))
            keys = [light_for(t, today, 7).key for t in s.scalars(tasks)]
            assert row.lights == {k: keys.count(k) for k in KEYS}
            late = [t.deadline for t in s.scalars(tasks) if is_overdue(t, today)]
            assert row.overdue_days == ((today - min(late)).days if late else 0)


def test_check_aggregates_reports_a_difference_in_chinese_and_repairs_it(app, db):
    rng = random.Random(7)
    s = db.session
    world = _world(s, rng)
    s.execute(insert(Task), [_row(rng, *world, position=i + 1) for i in range(30)])
    s.commit()
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["check-aggregates"])
    assert ok.exit_code == 0 and "一致" in ok.output
    # What a trigger missing after a hand-made restore would leave: counts that no longer match.
    s.execute(text("UPDATE unit_task_count SET n = n + 2 WHERE unit_id = (SELECT min(unit_id) FROM unit_task_count)"))
    s.execute(text("DELETE FROM unit_closure_count"))
    s.commit()
    bad = runner.invoke(args=["check-aggregates"])
    assert bad.exit_code == 1
    assert "不一致" in bad.output and "维护值" in bad.output and "--repair" in bad.output
    repaired = runner.invoke(args=["check-aggregates", "--repair"])
    assert repaired.exit_code == 1 and "已按整改任务重算" in repaired.output
    assert runner.invoke(args=["check-aggregates"]).exit_code == 0
    assert differences(s) == []
