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


# --- the 工作台 and the open-overdue list through gunicorn, at 10^4 … 10^6 tasks (issue 10) ---------------
#
# Load client: wrk (Debian's /usr/bin/wrk) with a Lua script that sends the session cookie obtained through
# /login like a browser, counts every answer that is not a 200 (the run fails on any: a lost session cannot
# pass for speed) and prints wrk's own p50/p95. Two connections for two workers: latency, not saturation.

PAGE_SIZES = tuple(int(n) for n in os.environ.get("TRACKER_BENCH_PAGE_SIZES", "10000,100000,1000000").split(","))
PAGE_UNITS = 100
PAGE_SECONDS = int(os.environ.get("TRACKER_BENCH_WRK_SECONDS", "10"))
PAGE_PASSWORD = "Bench-Org-2026"
FLOOR_RUNS = 30

LATENCY_LUA = """
wrk.headers["Cookie"] = "%s"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body) if status ~= 200 then bad = bad + 1 end end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("bad") end
  io.write(string.format("BAD %%d\\nP50 %%d\\nP95 %%d\\nN %%d\\n", total, latency:percentile(50),
                         latency:percentile(95), summary.requests))
end
"""

# The floors: the same figures computed by one hand-written statement over the task table (what the page
# would cost if it asked the tasks directly, with nothing to keep up to date), and the list's first page.
FLOOR_PAGE_DASHBOARD = """
SELECT t.unit_id, u.name, count(*) AS tasks,
       count(*) FILTER (WHERE t.status = '已销号') AS closed,
       count(*) FILTER (WHERE t.status IN ('待整改', '整改中') AND t.deadline < :today
                        AND t.task_type <> '长期坚持') AS overdue,
       max(t.escalation_level) AS max_level,
       count(*) FILTER (WHERE t.status <> '已销号' AND (t.escalation_level >= 1 OR t.deadline < :today)) AS red,
       count(*) FILTER (WHERE t.status <> '已销号' AND NOT (t.escalation_level >= 1 OR t.deadline < :today)
                        AND t.deadline <= :soon) AS yellow
FROM task t LEFT JOIN unit u ON u.id = t.unit_id
GROUP BY t.unit_id, u.name ORDER BY red DESC, u.name LIMIT 20
"""
FLOOR_PAGE_OVERDUE = """
SELECT t.id, t.problem_text, t.deadline, t.status, u.name, o.name, r.title
FROM task t LEFT JOIN unit u ON u.id = t.unit_id LEFT JOIN user_account o ON o.id = t.owner_id
JOIN review r ON r.id = t.review_id
WHERE t.status IN ('待整改', '整改中') AND t.deadline < :today AND t.task_type <> '长期坚持'
ORDER BY t.review_id DESC, t.ledger_position, t.id LIMIT 50
"""


def _percentiles(seconds: list[float]) -> tuple[float, float]:
    ordered = sorted(seconds)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def _floor(session, sql: str, params: dict) -> tuple[float, float]:
    for _ in range(3):
        session.execute(text(sql), params).all()
    times = []
    for _ in range(FLOOR_RUNS):
        started = time.perf_counter()
        session.execute(text(sql), params).all()
        times.append(time.perf_counter() - started)
    return _percentiles(times)


def _latency(port: int, path: str, cookie: str, tmp: str) -> tuple[float, float, int]:
    import re
    import subprocess
    from pathlib import Path

    script = Path(tmp) / "latency.lua"
    script.write_text(LATENCY_LUA % cookie.replace('"', '\\"'))
    url = f"http://127.0.0.1:{port}{path}"
    subprocess.run(["wrk", "-t", "1", "-c", "2", "-d", "2s", "-s", str(script), url], capture_output=True, check=True)
    out = subprocess.run(["wrk", "-t", "1", "-c", "2", "-d", f"{PAGE_SECONDS}s", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout
    values = {k: int(v) for k, v in re.findall(r"^(BAD|P50|P95|N) (\d+)", out, re.MULTILINE)}
    if values.get("BAD") or "Socket errors" in out:
        raise RuntimeError(f"wrk against {path}: {values.get('BAD')} answers were not 200\n{out}")
    return values["P50"] / 1e6, values["P95"] / 1e6, values["N"]


def _check_page(port: int, path: str, cookie: str, needle: str) -> None:
    from benchmarks.bench_secretary import _get

    page = _get(port, path, cookie)
    if page.status != 200 or needle not in page.body:
        raise RuntimeError(f"{path} did not answer its page (HTTP {page.status})")


def pages_at(tasks: int, database_url: str) -> dict:
    """Seeds `tasks` in the reference shape (benchmarks.workload), then measures both pages under gunicorn."""
    import secrets
    import shutil
    import tempfile
    from pathlib import Path

    from sqlalchemy import update

    from benchmarks import workload
    from benchmarks.bench_secretary import ROOT, _gunicorn
    from tracker.extensions import db
    from tracker.models import User
    from tracker.services.accounts import hash_password

    if not shutil.which("wrk"):
        raise RuntimeError("没有找到 wrk：请安装 Debian 的 wrk 软件包（apt-get install wrk）")
    now = datetime(2026, 6, 1, 1, tzinfo=timezone.utc)
    today = now.date()
    with bench_app(database_url), tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        workload.seed(db, tasks=tasks, units=PAGE_UNITS, per_unit=1, now=now, today=today, due="morning")
        db.session.execute(update(User).where(User.username == "zzb").values(password_hash=hash_password(PAGE_PASSWORD)))
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        seed_seconds = time.perf_counter() - started
        params = {"today": today, "soon": today + timedelta(days=7)}
        floors = {"dashboard": _floor(db.session, FLOOR_PAGE_DASHBOARD, params),
                  "overdue": _floor(db.session, FLOOR_PAGE_OVERDUE, params)}
        count_rows = db.session.execute(text("SELECT count(*) FROM unit_task_count")).scalar()
        url = db.engine.url.render_as_string(hide_password=False)
        db.session.remove()
        env = {**os.environ, "TRACKER_CONFIG": "production", "TRACKER_DATABASE_URL": url,
               "TRACKER_SECRET_KEY": secrets.token_hex(32), "MAIL_SERVER": "127.0.0.1",
               "MAIL_DEFAULT_SENDER": "整改督办台账 <zgdb@bench.test>", "TRACKER_BASE_URL": "https://bench.test",
               "TRACKER_INSTANCE_DIR": tmp, "TRACKER_UPLOAD_DIR": str(Path(tmp) / "uploads"),
               "PYTHONPATH": str(ROOT)}
        measured = {}
        with _gunicorn("tracker.wsgi:app", env, Path(tmp) / "app.log", "/healthz") as server:
            port = server.port
            cookie = _login_org(port)
            _check_page(port, "/org/", cookie, f'id="stat-total">{tasks}<')
            _check_page(port, "/org/tasks?overdue=1", cookie, "/tasks/")
            measured["dashboard"] = _latency(port, "/org/", cookie, tmp)
            measured["overdue"] = _latency(port, "/org/tasks?overdue=1", cookie, tmp)
            worker_rss = server.worker_rss_mb()
        dialect = db.engine.dialect.name
    return {"tasks": tasks, "dialect": dialect, "seed_seconds": seed_seconds, "count_rows": count_rows,
            "pages": measured, "floors": floors, "seconds": PAGE_SECONDS, "worker_rss_mb": worker_rss}


def _login_org(port: int) -> str:
    """The 组织部 account's session cookie, through /login like a browser (bench_secretary's helpers)."""
    import re
    import urllib.parse

    from benchmarks.bench_secretary import _get, _session_cookie

    form = _get(port, "/login", "")
    cookie = _session_cookie(form, "")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.body).group(1)
    body = urllib.parse.urlencode({"identifier": "zzb", "password": PAGE_PASSWORD, "csrf_token": token})
    answer = _get(port, "/login", cookie, method="POST", body=body)
    if answer.status != 302:
        raise RuntimeError(f"login as zzb failed (HTTP {answer.status})")
    return _session_cookie(answer, cookie)


def pages(database_url: str, sizes=PAGE_SIZES) -> dict:
    return {n: pages_at(n, database_url) for n in sizes}


def page_rows(results: dict) -> list[tuple]:
    """(measure, value, floor, ratio) lines for make bench's table (benchmarks/__main__.py)."""
    lines = []
    labels = {"dashboard": ("工作台 /org/", "目标：1,000,000 时 p95 ≤ 100 毫秒且 ≤ 10,000 时的 1.5 倍"),
              "overdue": ("逾期任务列表 /org/tasks?overdue=1", "目标：1,000,000 时 p95 ≤ 60 毫秒")}
    for key, (label, target) in labels.items():
        for n in sorted(results):
            r = results[n]
            p50, p95, count = r["pages"][key]
            f50, f95 = r["floors"][key]
            floor_label = "手写 SQL 一条（直接统计任务表）" if key == "dashboard" else "手写 SQL 一条（第一页 50 行）"
            lines.append(((f"{label} p50/p95（gunicorn -w 2，wrk 2 连接 {r['seconds']} 秒，{count} 次；{r['dialect']}，"
                           f"{n:,} 项任务，{PAGE_UNITS} 个单位）"),
                          f"{p50 * 1000:.1f} / {p95 * 1000:.1f} 毫秒",
                          f"{f50 * 1000:.1f} / {f95 * 1000:.1f} 毫秒（{floor_label}）",
                          f"{p95 / max(f95, 1e-9):.2f}"))
        if len(results) >= 2:
            small, large = results[min(results)], results[max(results)]
            ratio = large["pages"][key][1] / max(small["pages"][key][1], 1e-9)
            lines.append((f"{label} p95 比值 {max(results):,} / {min(results):,}", f"{ratio:.2f}", target, "—"))
    for n in sorted(results):
        lines.append((f"gunicorn worker 峰值 RSS（VmHWM，工作台与逾期列表之后；{n:,} 项任务）",
                      f"{results[n]['worker_rss_mb']:.0f} MB", "—", "—"))
    return lines


if __name__ == "__main__":
    import sys

    from benchmarks.__main__ import DEFAULT_PG

    for line in page_rows(pages(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_PG)):
        print(" | ".join(line))
