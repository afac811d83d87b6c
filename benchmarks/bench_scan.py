"""Scan time over N tasks vs the raw SQL query that only selects the due rows."""
import os
import random
from datetime import date, timedelta

from sqlalchemy import insert, select

from benchmarks.common import bench_app, timed

TASKS = int(os.environ.get("TRACKER_BENCH_TASKS", "20000"))


def _seed(db, n: int, now) -> None:
    from tracker.models import Comment, Review, Role, Task, Unit, User

    rng = random.Random(7)
    units = [Unit(name=f"单位{i}", kind="镇") for i in range(100)]
    db.session.add_all(units)
    db.session.flush()
    owners = [User(name=f"书记{i}", username=f"sec{i}", email=f"sec{i}@town.test", role=Role.SECRETARY,
                   unit_id=units[i % 100].id) for i in range(200)]
    db.session.add_all(owners)
    review = Review(title="基准测试", held_on=date(2026, 1, 20), source_filename="b.txt", content_hash="bench")
    db.session.add(review)
    db.session.flush()
    comment = Comment(review=review, unit_id=units[0].id, position=1, secretary_name="", strengths="", expectations="")
    db.session.add(comment)
    db.session.flush()
    from flask import current_app

    policy = dict(current_app.config["ESCALATION_RULES"])
    rows = []
    for i in range(n):
        owner = owners[i % 200]
        rows.append({"review_id": review.id, "comment_id": comment.id, "unit_id": owner.unit_id, "position": 1,
                     "ledger_position": i + 1, "problem_text": f"问题{i}", "task_type": "限期整改",
                     "deadline": date(2026, 3, 2) + timedelta(days=rng.randint(-20, 90)), "status": "整改中",
                     "owner_id": owner.id, "policy": policy, "next_check_at": now - timedelta(days=1),
                     "created_at": now - timedelta(days=60), "updated_at": now - timedelta(days=60),
                     "escalation_level": 0, "reminder_cycle": 1, "is_overall": False, "responsible_person": "",
                     "measures": "", "round": 1})
    for start in range(0, n, 2000):
        db.session.execute(insert(Task), rows[start:start + 2000])
    db.session.commit()


def run(tasks: int = TASKS, database_url: str | None = None) -> dict:
    from jobs.tasks import scan_job
    from tracker.extensions import db
    from tracker.timeutil import parse_local

    first_now = parse_local("2026-03-02T09:00")
    with bench_app(database_url) as app:
        app.config.update(ORG_DEPT_CONTACT_EMAIL="zzb@county.test")
        _seed(db, tasks, first_now)
        from tracker.models import Task

        def raw(now):
            # The floor: the due rows as plain tuples, no ORM objects, no decisions, no writes.
            return lambda: len(db.session.execute(select(*Task.__table__.c).where(Task.next_check_at <= now)).all())

        raw_first, due_first = timed(raw(first_now))
        db.session.rollback()
        scan_first, result_first = timed(lambda: scan_job(first_now))
        # Steady state: the next working morning only the tasks with a milestone that day are due.
        next_now = parse_local("2026-03-03T09:00")
        raw_next, due_next = timed(raw(next_now))
        db.session.rollback()
        scan_next, result_next = timed(lambda: scan_job(next_now))
        dialect = db.engine.dialect.name
    return {"tasks": tasks, "dialect": dialect,
            "first": {"due": due_first, "raw_s": raw_first, "scan_s": scan_first, "notices": result_first.notices,
                      "ratio": scan_first / raw_first},
            "next": {"due": due_next, "raw_s": raw_next, "scan_s": scan_next, "notices": result_next.notices,
                     "ratio": scan_next / max(raw_next, 1e-9)}}


def report(result: dict) -> str:
    lines = [f"扫描 {result['tasks']} 项任务（{result['dialect']}）："]
    for name, label in (("first", "首次扫描（全部待检查，含补发）"), ("next", "次日扫描（仅当天到期的任务）")):
        r = result[name]
        lines.append(f"  {label}：待检查 {r['due']} 项，生成通知 {r['notices']} 条；扫描 {r['scan_s']:.2f} 秒，"
                     f"原始 SQL 取行 {r['raw_s'] * 1000:.1f} 毫秒，比值 {r['ratio']:.0f}")
    return "\n".join(lines)
