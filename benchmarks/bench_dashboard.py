"""The organization department's pages at city scale: dashboard aggregates, the filtered task list and
the 整改台账 export over N tasks, each against a hand-written SQL floor run in the same process."""
import os
import random
import time
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import insert, select, text

from benchmarks.common import bench_app

TASKS = int(os.environ.get("TRACKER_BENCH_DASHBOARD_TASKS", "100000"))
REVIEWS, UNITS, REPEAT = 10, 200, 5
TODAY = date(2026, 6, 1)


def _seed(db, n: int) -> list[int]:
    from tracker.models import Review, Role, Task, Unit, User

    rng = random.Random(11)
    units = [Unit(name=f"单位{i:03d}", kind="镇") for i in range(UNITS)]
    db.session.add_all(units)
    db.session.flush()
    owners = [User(name=f"书记{i}", username=f"sec{i}", role=Role.SECRETARY, unit_id=u.id) for i, u in enumerate(units)]
    reviews = [Review(title=f"{2016 + i}年度述职评议会议", held_on=date(2016 + i, 1, 20), source_filename="b.txt",
                      content_hash=f"bench-{i}") for i in range(REVIEWS)]
    db.session.add_all(owners + reviews)
    db.session.flush()
    now = datetime(2026, 6, 1, 1, tzinfo=timezone.utc)
    rows = []
    for i in range(n):
        owner = owners[i % UNITS]
        closed = rng.random() < 0.4
        rows.append({
            "review_id": reviews[i % REVIEWS].id, "unit_id": owner.unit_id, "position": 1 + i // (UNITS * REVIEWS),
            "ledger_position": i // REVIEWS + 1, "problem_text": f"第{i}项问题：党建引领基层治理还不够到位",
            "task_type": "限期整改", "deadline": TODAY + timedelta(days=rng.randint(-60, 90)),
            "status": "已销号" if closed else rng.choice(["待整改", "整改中", "待销号审核"]),
            "closed_at": now - timedelta(days=rng.randint(0, 300)) if closed else None,
            "owner_id": owner.id, "escalation_level": 0 if closed else rng.choice([0, 0, 0, 1, 2, 3]),
            "created_at": now, "updated_at": now, "reminder_cycle": 1, "is_overall": False,
            "responsible_person": "", "measures": "建立台账，逐项销号", "round": 1})
    for start in range(0, n, 5000):
        db.session.execute(insert(Task), rows[start:start + 5000])
    db.session.commit()
    return [r.id for r in reviews]


def _best(fn) -> float:
    """Best of REPEAT runs: the floor and the app are measured alike, after one warm-up."""
    fn()
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


FLOOR_DASHBOARD = """
SELECT t.unit_id, u.name, count(*),
       sum(CASE WHEN t.status = '已销号' THEN 1 ELSE 0 END),
       sum(CASE WHEN t.status <> '已销号' AND t.deadline < :today THEN 1 ELSE 0 END),
       max(t.escalation_level)
FROM task t LEFT JOIN unit u ON u.id = t.unit_id
GROUP BY t.unit_id, u.name ORDER BY u.name
"""
FLOOR_LIST = """
SELECT t.id, t.problem_text, t.deadline, t.status, u.name, o.name, r.title
FROM task t LEFT JOIN unit u ON u.id = t.unit_id LEFT JOIN user_account o ON o.id = t.owner_id
JOIN review r ON r.id = t.review_id
WHERE t.status <> '已销号' AND t.deadline < :today AND t.escalation_level >= 1
ORDER BY t.review_id DESC, t.ledger_position, t.id LIMIT 50
"""
FLOOR_LEDGER = """
SELECT t.ledger_position, u.name, o.name, t.problem_text, t.measures, t.task_type, t.deadline, t.status,
       t.closed_at, t.escalation_level
FROM task t LEFT JOIN unit u ON u.id = t.unit_id LEFT JOIN user_account o ON o.id = t.owner_id
WHERE t.review_id = :review ORDER BY t.ledger_position, t.id
"""


def run(tasks: int = TASKS, database_url: str | None = None) -> dict:
    from tracker.extensions import db
    from tracker.models import Review, Task
    from tracker.services import dashboard, ledger

    with bench_app(database_url) as app:
        review_ids = _seed(db, tasks)
        session = db.session
        filters = dashboard.TaskFilters(overdue=True, level=-1)
        review = session.get(Review, review_ids[0])

        def page():
            dashboard.overview(session, review_id=None, today=TODAY)
            dashboard.unit_rows(session, review_id=None, today=TODAY, sort="-overdue", due_soon_days=7)
            dashboard.closures_over_time(session, review_id=None, bucket="month", tz=app.config["TIMEZONE"])

        def task_list():
            query = dashboard.in_ledger_order(dashboard.filtered_tasks(select(Task), filters, today=TODAY))
            return db.paginate(query, page=1, per_page=50, error_out=False).items

        def export():
            return ledger.build_workbook([(review, ledger.ledger_rows(session, review))])

        def bare_xlsx():
            # A second floor for the export: the same rows, written by openpyxl with no formatting at all.
            import io

            from openpyxl import Workbook

            book = Workbook()
            sheet = book.active
            for row in session.execute(text(FLOOR_LEDGER), {"review": review.id}):
                sheet.append([str(v) if v is not None else "" for v in row])
            book.save(io.BytesIO())

        results = {
            "dashboard": (_best(page), _best(lambda: session.execute(text(FLOOR_DASHBOARD), {"today": TODAY}).all())),
            "task_list": (_best(task_list), _best(lambda: session.execute(text(FLOOR_LIST), {"today": TODAY}).all())),
            "ledger": (_best(export),
                       _best(lambda: session.execute(text(FLOOR_LEDGER), {"review": review.id}).all())),
        }
        results["ledger_vs_bare_xlsx"] = (results["ledger"][0], _best(bare_xlsx))
        dialect = db.engine.dialect.name
    return {"tasks": tasks, "dialect": dialect, "results": results, "ledger_rows": tasks // REVIEWS}


LABELS = {"dashboard": "工作台（总数、各单位表、销号趋势）", "task_list": "任务列表（逾期且督办以上，第1页50条）",
          "ledger": "导出一次会议的整改台账 .xlsx", "ledger_vs_bare_xlsx": "同一导出，对比不带格式的 openpyxl 写出"}


def report(result: dict) -> str:
    lines = [f"组织部页面，{result['tasks']} 项任务（{result['dialect']}；台账 {result['ledger_rows']} 行）："]
    for key, (app_s, floor_s) in result["results"].items():
        floor = "不带格式的 xlsx" if key == "ledger_vs_bare_xlsx" else "原始 SQL"
        lines.append(f"  {LABELS[key]}：{app_s * 1000:.1f} 毫秒；{floor} {floor_s * 1000:.1f} 毫秒；"
                     f"比值 {app_s / max(floor_s, 1e-9):.1f}")
    return "\n".join(lines)
