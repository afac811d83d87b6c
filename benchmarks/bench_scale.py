"""Province scale (issue 10): the reminder morning end to end, and the scan at equal due count among 10,000
and 1,000,000 tasks — each with its floor measured in the same run.

- Morning: 100 units × 1,000 tasks, 2,000 secretaries with emails, 60% closed, deadlines over
  today−180…today+90 (≈27,800 due). `scan_job` + `delivery_job` until nothing is left, into a local
  aiosmtpd; then the rerun at the same `now` (must send 0). Floor: the due rows read by one SQL query plus
  bare smtplib sending the same number of messages (the bytes of the mails the outbox sent) over one
  connection.
- Scan: 1,000 due tasks among N. Time, statements (before_cursor_execute) and peak Python memory
  (tracemalloc, on the next morning's scan of the same 1,000 tasks, so the timing runs without it).
  Floor: the due rows by one SQL query.
"""
import json
import resource
import smtplib
import subprocess
import sys
import time
import tracemalloc
from datetime import timedelta

from sqlalchemy import event, text

from pathlib import Path

from benchmarks.common import bench_app, smtp_sink, timed
from benchmarks.workload import seed

MORNING = "2026-06-15T09:00"  # a Monday, a working day
ROOT = Path(__file__).resolve().parents[1]


def _now(value=MORNING):
    from tracker.timeutil import parse_local

    return parse_local(value)


def _raw_due(db, now):
    started = time.perf_counter()
    rows = db.session.execute(text("SELECT * FROM task WHERE next_check_at <= :now"),
                              {"now": now.replace(tzinfo=None) - now.utcoffset()}).all()
    db.session.rollback()
    return time.perf_counter() - started, len(rows)


def morning(database_url: str | None = None, tasks: int = 100_000) -> dict:
    from jobs.tasks import delivery_job, scan_job
    from tracker.extensions import db
    from tracker.models.notify import OutboxMessage
    from tracker.mail.delivery import build_message

    now = _now()
    with bench_app(database_url) as app, smtp_sink() as sink:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, MAIL_BATCH_SIZE=500,
                          ORG_DEPT_CONTACT_EMAIL="zzb-office@county.test")
        shape = seed(db, tasks=tasks, units=100, per_unit=20, now=now, today=now.date(), due="morning")
        floor_sql, _ = _raw_due(db, now)

        config = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": sink.port, "MAIL_BATCH_SIZE": 500,
                  "ORG_DEPT_CONTACT_EMAIL": "zzb-office@county.test"}
        db.session.remove()
        # The morning as the scheduler runs it: a process of its own, so that its peak RSS is its own.
        first = scheduler_process(db, MORNING, config)
        seconds = first["scan_seconds"] + first["delivery_seconds"]  # the child's start-up not counted
        sent, phases = first["mails"], first

        def run():
            scan = scan_job(now)
            resent = 0
            while True:
                result = delivery_job(now)
                resent += result.sent
                if result.claimed == 0:
                    return scan, resent

        received = sink.count
        rerun_seconds, (_, resent) = timed(run)
        rows = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.status == "sent")).all()
        sender = app.config["MAIL_DEFAULT_SENDER"]
        payloads = [(list(m.send_to), m.as_bytes()) for m in (build_message(r, sender) for r in rows)]
        biggest = max((len(p) for _, p in payloads), default=0)
        db.session.rollback()

        def bare():
            with smtplib.SMTP("127.0.0.1", sink.port, timeout=20) as smtp:
                for recipients, payload in payloads:
                    smtp.sendmail("zgdb@localhost", recipients, payload)

        floor_smtp, _ = timed(bare)
        dialect = db.engine.dialect.name
    return {"dialect": dialect, **shape, "seconds": seconds, "mails": sent, "received": received,
            "notices": first["notices"], "rerun_seconds": rerun_seconds, "resent": resent,
            "floor": floor_sql + floor_smtp, "biggest": biggest, "scan_seconds": phases["scan_seconds"],
            "delivery_seconds": phases["delivery_seconds"], "scheduler_rss_mb": first["rss_mb"]}


def scheduler_process(db, now: str, config: dict, deliver: bool = True) -> dict:
    """benchmarks.scheduler_run in a child process on the benchmark's database: its phases and peak RSS."""
    url = db.engine.url.render_as_string(hide_password=False)
    spec = {"url": url, "now": now, "config": config, "deliver": deliver}
    out = subprocess.run([sys.executable, "-m", "benchmarks.scheduler_run", json.dumps(spec)], cwd=ROOT,
                         capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError(f"benchmarks.scheduler_run failed: {out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def scan_at(tasks: int, database_url: str | None = None, due: int = 1000) -> dict:
    from jobs.tasks import scan_job
    from tracker.extensions import db

    now = _now()
    with bench_app(database_url) as app:
        app.config.update(ORG_DEPT_CONTACT_EMAIL="zzb-office@county.test")
        started = time.perf_counter()
        shape = seed(db, tasks=tasks, units=100, per_unit=20, now=now, today=now.date(), due=due)
        seed_seconds = time.perf_counter() - started
        floor, _ = _raw_due(db, now)
        ids = [r[0] for r in db.session.execute(text("SELECT id FROM task WHERE next_check_at <= :now"),
                                                {"now": now.replace(tzinfo=None) - now.utcoffset()})]
        db.session.rollback()
        statements = []
        listener = lambda *args: statements.append(1)  # noqa: E731 - one counter, removed below
        event.listen(db.engine, "before_cursor_execute", listener)
        seconds, result = timed(lambda: scan_job(now))
        event.remove(db.engine, "before_cursor_execute", listener)
        # The same tasks due again the next working morning, measured for memory: Python's peak by
        # tracemalloc in this process, then (the morning after) the scheduler's peak RSS in a process of its own.
        nxt = now + timedelta(days=1)
        _due_again(db, nxt, len(ids))
        tracemalloc.start()
        scan_job(nxt)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        _due_again(db, nxt + timedelta(days=1), len(ids))
        db.session.remove()
        child = scheduler_process(db, "2026-06-17T09:00", {"ORG_DEPT_CONTACT_EMAIL": "zzb-office@county.test"},
                                  deliver=False)
        dialect = db.engine.dialect.name
    return {"dialect": dialect, **shape, "seconds": seconds, "statements": len(statements), "peak_mb": peak / 2**20,
            "floor": floor, "notices": result.notices, "seed_seconds": seed_seconds,
            "scheduler_rss_mb": child["rss_mb"], "scheduler_checked": child["checked"],
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _due_again(db, at, n: int) -> None:
    """The first `n` tasks by next check due an hour before `at` (the same tasks, the next morning)."""
    db.session.execute(text("UPDATE task SET next_check_at = :at WHERE id IN (SELECT id FROM task WHERE "
                            "next_check_at IS NOT NULL ORDER BY next_check_at LIMIT :n)"),
                       {"at": at.replace(tzinfo=None) - at.utcoffset() - timedelta(hours=1), "n": n})
    db.session.commit()


def rows_for(results: dict) -> list[tuple]:
    """(measure, value, floor, ratio) lines for the table."""
    lines = []
    m = results.get("morning")
    if m:
        lines.append((f"提醒早晨（{m['dialect']}，{m['tasks']:,}项任务，{m['due']:,}项到期，{m['owners']:,}名责任人）端到端",
                      f"{m['seconds']:.1f} 秒（扫描 {m['scan_seconds']:.1f}，投递 {m['delivery_seconds']:.1f}），"
                      f"发出 {m['mails']:,} 封（最大 {m['biggest'] / 1024:.0f} KB）",
                      f"{m['floor']:.1f} 秒（SQL 取到期行 + 裸 smtplib 发同样的邮件）", f"{m['seconds'] / m['floor']:.1f}"))
        lines.append((f"提醒早晨重跑（同一 now，{m['dialect']}）", f"{m['rerun_seconds']:.1f} 秒，发出 {m['resent']} 封",
                      "0 封", "—"))
    rss = [(f"提醒早晨（{m['tasks']:,}项任务，{m['due']:,}项到期，扫描+投递）", m["scheduler_rss_mb"])] if m else []
    rss += [(f"扫描 1,000 项到期 / {s['tasks']:,} 项任务（{s['dialect']}）", s["scheduler_rss_mb"])
            for k, s in sorted(results.items()) if k.startswith("scan:")]
    for label, mb in rss:
        lines.append((f"调度进程峰值 RSS：{label}，独立进程（benchmarks.scheduler_run）", f"{mb:.0f} MB",
                      "目标 ≤ 200 MB", f"{mb / 200:.2f}"))
    for key in sorted(k for k in results if k.startswith("scan:")):
        s = results[key]
        lines.append((f"扫描 1,000 项到期 / {s['tasks']:,} 项任务（{s['dialect']}）",
                      f"{s['seconds']:.2f} 秒，{s['statements']} 条语句，峰值 {s['peak_mb']:.0f} MB（tracemalloc）",
                      f"{s['floor'] * 1000:.0f} 毫秒（SQL 取到期行）", f"{s['seconds'] / max(s['floor'], 1e-9):.0f}"))
    scans = {int(k.split(":")[2]): v for k, v in results.items() if k.startswith("scan:") and v["dialect"] == "postgresql"}
    if len(scans) >= 2:
        small, large = scans[min(scans)], scans[max(scans)]
        lines.append((f"扫描比值 {max(scans):,} / {min(scans):,}（postgresql，同为 1,000 项到期）",
                      f"时间 {large['seconds'] / small['seconds']:.2f}，语句 {large['statements'] / small['statements']:.2f}，"
                      f"内存 {large['peak_mb'] / max(small['peak_mb'], 1e-9):.2f}", "目标 ≤ 2", "—"))
    return lines
