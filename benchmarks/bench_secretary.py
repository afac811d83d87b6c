"""我的整改任务 under gunicorn -w 2, measured with wrk (Debian's /usr/bin/wrk), against its floor measured in
the same run: a bare Flask app on the same gunicorn settings that runs the hand-written SQL of the page's
rows and counts and returns a minimal HTML page.

The workload is the reference tracker's shape at 100,000 tasks (benchmarks.workload), spread over 2,000
units with one secretary each: the measured secretary's unit holds 50 tasks, 60% of them closed. The app
runs as in production (TRACKER_CONFIG=production, deploy/gunicorn.conf.py), logged in with a session cookie
obtained through /login like a browser; every response that is not a 200 counts as an error and fails the
run, so a lost session cannot pass for speed.

    .venv/bin/python -m benchmarks.bench_secretary [postgresql+psycopg://…]
"""
import http.client
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from benchmarks.common import bench_app, free_port

ROOT = Path(__file__).resolve().parents[1]
TASKS, UNITS = 100_000, 2_000
SECONDS = int(os.environ.get("TRACKER_BENCH_WRK_SECONDS", "12"))  # per server, in ROUNDS alternating runs
ROUNDS = 3
CONNECTIONS, THREADS = 8, 2
PASSWORD = "Bench-Secretary-2026"

# The floor's one statement: the unit's page in the page's order, every status count riding along as window
# sums (computed before the LIMIT), and the review's title joined in.
FLOOR_SQL = """
SELECT t.id, t.problem_text, r.title, t.task_type, t.round, t.deadline, t.status, t.escalation_level,
       count(*) OVER (PARTITION BY t.status) AS status_count, count(*) OVER () AS total
FROM task t JOIN review r ON r.id = t.review_id
WHERE t.unit_id = :unit AND NOT t.is_overall
ORDER BY CASE t.status WHEN '已销号' THEN 2 WHEN '待销号审核' THEN 1 ELSE 0 END,
         CASE WHEN t.escalation_level >= 1 THEN 0 ELSE 1 END, t.deadline IS NULL, t.deadline, t.id
LIMIT 50
"""

LUA = """
wrk.headers["Cookie"] = "%s"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body) if status ~= 200 then bad = bad + 1 end end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("bad") end
  io.write(string.format("BAD %%d\\n", total))
end
"""


def floor_app():
    """gunicorn 'benchmarks.bench_secretary:floor_app()': Flask, one engine, FLOOR_SQL, HTML by hand."""
    from html import escape

    from flask import Flask
    from sqlalchemy import create_engine, text

    app = Flask(__name__)
    engine = create_engine(os.environ["BENCH_FLOOR_DB"])
    unit = int(os.environ["BENCH_FLOOR_UNIT"])
    query = text(FLOOR_SQL)

    @app.get("/floor")
    def floor():
        with engine.connect() as conn:
            rows = conn.execute(query, {"unit": unit}).all()
        cells = "".join(f"<tr><td><a href=\"/tasks/{r.id}\">{escape(r.problem_text[:80])}</a> {escape(r.title)}</td>"
                        f"<td>{r.deadline}</td><td>{escape(r.status)}</td></tr>" for r in rows)
        return f"<!doctype html><title>我的整改任务</title><table>{cells}</table>"

    return app


def run(database_url: str) -> dict:
    """Seeds, starts both servers, runs wrk against each in alternating rounds (so that a neighbour's load
    falls on both alike), stops them. Requests/s and the workers' CPU per request (user + system, from
    /proc, less sensitive to a shared machine than requests/s) for the app and for the floor."""
    if not shutil.which("wrk"):
        raise RuntimeError("没有找到 wrk：请安装 Debian 的 wrk 软件包（apt-get install wrk）")
    from tracker.extensions import db

    with bench_app(database_url), tempfile.TemporaryDirectory() as tmp:
        secretary, unit_id, tasks = _seed(db)
        url = db.engine.url.render_as_string(hide_password=False)
        db.session.remove()
        env = {**os.environ, "TRACKER_CONFIG": "production", "TRACKER_DATABASE_URL": url,
               "TRACKER_SECRET_KEY": secrets.token_hex(32), "MAIL_SERVER": "127.0.0.1",
               "MAIL_DEFAULT_SENDER": "整改督办台账 <zgdb@bench.test>", "TRACKER_BASE_URL": "https://bench.test",
               "TRACKER_INSTANCE_DIR": tmp, "TRACKER_UPLOAD_DIR": str(Path(tmp) / "uploads"),
               "BENCH_FLOOR_DB": url, "BENCH_FLOOR_UNIT": str(unit_id), "PYTHONPATH": str(ROOT)}
        with (_gunicorn("tracker.wsgi:app", env, Path(tmp) / "app.log", "/healthz") as app_server,
              _gunicorn("benchmarks.bench_secretary:floor_app()", env, Path(tmp) / "floor.log", "/floor") as floor):
            cookie = _login(app_server.port, secretary)
            page = _get(app_server.port, "/my/tasks", cookie)
            if page.status != 200 or "我的整改任务" not in page.body or page.body.count("/tasks/") < 50:
                raise RuntimeError(f"我的整改任务 did not answer its page (HTTP {page.status})")
            targets = {"app": (app_server, "/my/tasks", cookie), "floor": (floor, "/floor", "")}
            totals = {name: [0, 0.0, 0.0] for name in targets}  # requests, seconds, worker CPU seconds
            for name, (server, path, sent) in targets.items():  # warm-up: templates, connections, caches
                _wrk(server.port, path, sent, tmp, seconds=2, connections=2, threads=1)
            for _round in range(ROUNDS):
                for name, (server, path, sent) in targets.items():
                    cpu = server.cpu_seconds()
                    requests, seconds = _wrk(server.port, path, sent, tmp, seconds=SECONDS // ROUNDS)
                    total = totals[name]
                    total[0] += requests
                    total[1] += seconds
                    total[2] += server.cpu_seconds() - cpu
            worker_rss = app_server.worker_rss_mb()
        dialect = db.engine.dialect.name
    result = {"tasks": TASKS, "unit_tasks": tasks, "dialect": dialect, "seconds": SECONDS,
              "connections": CONNECTIONS, "worker_rss_mb": worker_rss}
    for name, (requests, seconds, cpu) in totals.items():
        result[name] = requests / seconds
        result[f"{name}_cpu_ms"] = cpu * 1000 / max(requests, 1)
    return result


def _seed(db) -> tuple[str, int, int]:
    from sqlalchemy import func, select, update

    from benchmarks import workload
    from tracker.models import Task, User
    from tracker.services.accounts import hash_password

    now = datetime(2026, 6, 1, 1, tzinfo=UTC)
    workload.seed(db, tasks=TASKS, units=UNITS, per_unit=1, now=now, today=now.date(), due="morning")
    user = db.session.scalars(select(User).where(User.username == "sec0-0")).one()
    db.session.execute(update(User).where(User.id == user.id).values(password_hash=hash_password(PASSWORD)))
    count = db.session.scalar(select(func.count()).select_from(Task).where(Task.unit_id == user.unit_id))
    db.session.commit()
    return user.username, user.unit_id, count


class _Answer:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body


def _get(port: int, path: str, cookie: str, *, method="GET", body=None) -> _Answer:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie} if cookie else {}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    answer = _Answer(response.status, response.getheaders(), response.read().decode("utf-8", "replace"))
    conn.close()
    return answer


def _session_cookie(answer: _Answer, fallback: str) -> str:
    """The session cookie is Secure (production): read from Set-Cookie by hand, as wrk will send it over http."""
    for name, value in answer.headers:
        if name.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";", 1)[0]
    return fallback


def _login(port: int, username: str) -> str:
    form = _get(port, "/login", "")
    cookie = _session_cookie(form, "")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.body).group(1)
    body = urllib.parse.urlencode({"identifier": username, "password": PASSWORD, "csrf_token": token})
    answer = _get(port, "/login", cookie, method="POST", body=body)
    if answer.status != 302:
        raise RuntimeError(f"login as {username} failed (HTTP {answer.status})")
    return _session_cookie(answer, cookie)


def _stat(pid: int) -> list[int]:
    """/proc/<pid>/stat's numeric fields after the command name (index 11 is utime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return [int(f) if f.lstrip("-").isdigit() else 0 for f in fields]


class _gunicorn:
    """gunicorn -c deploy/gunicorn.conf.py -w 2 on a free port, its log in a file; waits until it answers."""

    def __init__(self, target: str, env: dict, log: Path, ready: str):
        self.target, self.env, self.log, self.ready = target, env, log, ready

    def __enter__(self) -> Self:
        self.port = free_port()
        self.log_file = open(self.log, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "-w", "2",
             "-b", f"127.0.0.1:{self.port}", self.target],
            env=self.env, cwd=ROOT, stdout=self.log_file, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn {self.target} exited: {self.log.read_text()[-2000:]}")
            try:
                _get(self.port, self.ready, "")
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn {self.target} did not answer within 30 s")

    def cpu_seconds(self) -> float:
        """User + system time of the master, its live workers and the workers it has reaped (recycled by
        max_requests), from /proc."""
        tick = os.sysconf("SC_CLK_TCK")
        master = _stat(self.proc.pid)
        total = sum(master[11:15])  # utime, stime, cutime, cstime
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        for child in children:
            try:
                total += sum(_stat(int(child))[11:13])
            except FileNotFoundError:  # recycled between the two reads: its time is in cutime next time
                pass
        return total / tick

    def worker_rss_mb(self) -> float:
        """The largest peak RSS (VmHWM) among the live workers, from /proc."""
        peaks = []
        for child in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split():
            try:
                status = Path(f"/proc/{child}/status").read_text()
            except FileNotFoundError:  # recycled (max_requests) between the two reads
                continue
            peaks += [int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:")]
        return max(peaks, default=0.0)

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log_file.close()


def _wrk(port: int, path: str, cookie: str, tmp: str, *, seconds: int, connections: int = CONNECTIONS,
         threads: int = THREADS) -> tuple[int, float]:
    """(requests, seconds) of one wrk run; any answer but 200, or a socket error, fails the benchmark."""
    script = Path(tmp) / f"session-{port}.lua"
    script.write_text(LUA % cookie.replace('"', '\\"'))
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "-s", str(script),
                          f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    bad = int(re.search(r"^BAD (\d+)", out, re.MULTILINE).group(1))
    if bad or "Socket errors" in out:
        raise RuntimeError(f"wrk against {path}: {bad} answers were not 200\n{out}")
    done = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    elapsed = float(done.group(2)) / (1000 if done.group(3) == "ms" else 1)
    return int(done.group(1)), elapsed


def rows_for(result: dict) -> list[tuple]:
    """(measure, value, floor, ratio) lines for make bench's table."""
    return [((f"我的整改任务 requests/s（gunicorn -w 2，wrk {result['connections']} 连接，各 {result['seconds']} 秒分 "
             f"{ROUNDS} 轮交替；{result['dialect']}，{result['tasks']:,} 项任务，本单位 {result['unit_tasks']} 项）"),
             f"{result['app']:.0f} 次/秒（目标 ≥ 300），worker CPU {result['app_cpu_ms']:.1f} 毫秒/次",
             (f"{result['floor']:.0f} 次/秒，worker CPU {result['floor_cpu_ms']:.1f} 毫秒/次"
             "（同一 gunicorn 上的裸 Flask + 同样内容的手写 SQL）"),
             f"{result['app'] / max(result['floor'], 1e-9):.2f}"),
            (f"gunicorn worker 峰值 RSS（VmHWM，我的整改任务之后；{result['tasks']:,} 项任务）",
             f"{result['worker_rss_mb']:.0f} MB", "—", "—")]


if __name__ == "__main__":
    from benchmarks.__main__ import DEFAULT_PG

    result = run(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_PG)
    for line in rows_for(result):
        print(" | ".join(line))
