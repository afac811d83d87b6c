"""python -m benchmarks (make bench): every benchmark against its floor measured in the same run, one table,
written to BENCHMARKS.md with the date, the machine and the command.

PostgreSQL at TRACKER_BENCH_PG_URL, else postgresql+psycopg://postgres@127.0.0.1:5432/test when it answers,
each run in a private schema dropped afterwards. The 1,000,000-task scan runs on PostgreSQL only (SQLite
builds its rows in Python: minutes for a million). TRACKER_BENCH_QUICK=1 skips the million and the
dashboard pages (for a quick look)."""
import os
import platform
import subprocess
import sys
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _pg_url() -> str | None:
    url = os.environ.get("TRACKER_BENCH_PG_URL")
    if url:
        return url
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(DEFAULT_PG, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return DEFAULT_PG
    except Exception:  # noqa: BLE001 - no PostgreSQL here: the SQLite half still runs, and the file says so
        return None


def _machine() -> str:
    cpu = platform.processor() or ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{platform.node()}，{os.cpu_count()} 核（{cpu}），Python {platform.python_version()}，{platform.system()} {platform.release()}"


def main() -> int:
    warnings.simplefilter("ignore", ResourceWarning)
    from benchmarks import bench_dashboard, bench_delivery, bench_scale, bench_secretary

    quick = os.environ.get("TRACKER_BENCH_QUICK") == "1"
    started = time.perf_counter()
    pg = _pg_url()
    results, reports = {}, []

    def step(label, fn):
        print(f"… {label}", file=sys.stderr, flush=True)
        return fn()

    plan = [("scan:sqlite:10000", "扫描 10,000（sqlite）", lambda: bench_scale.scan_at(10_000))]
    if pg:
        plan += [("scan:pg:10000", "扫描 10,000（postgresql）", lambda: bench_scale.scan_at(10_000, pg)),
                 ("morning", "提醒早晨（postgresql）", lambda: bench_scale.morning(pg))]
        if not quick:
            plan.append(("scan:pg:1000000", "扫描 1,000,000（postgresql）", lambda: bench_scale.scan_at(1_000_000, pg)))
    else:
        plan.append(("morning", "提醒早晨（sqlite）", lambda: bench_scale.morning(None)))
    for key, label, fn in plan:
        results[key] = step(label, fn)
        _write(results, reports, pg, quick, started, partial=True)
    reports.append(step("投递（sqlite）", lambda: bench_delivery.report(bench_delivery.run())))
    if pg:
        reports.append(step("投递（postgresql）", lambda: bench_delivery.report(bench_delivery.run(database_url=pg))))
    _write(results, reports, pg, quick, started, partial=True)
    if pg:
        # Through gunicorn -w 2 and wrk: the 工作台 and the open-overdue list at 10^4 / 10^5 / 10^6 tasks,
        # 我的整改任务 requests/s; each beside its floor measured in the same run.
        if not quick:
            results["pages"] = step("工作台与逾期任务列表（postgresql，gunicorn）", lambda: bench_dashboard.pages(pg))
        results["secretary"] = step("我的整改任务（postgresql，gunicorn）", lambda: bench_secretary.run(pg))
        _write(results, reports, pg, quick, started, partial=True)
    if not quick:  # a county on SQLite, in process: the pages and the .xlsx 整改台账 export
        reports.append(step("组织部页面（sqlite）", lambda: bench_dashboard.report(bench_dashboard.run())))
    print(_write(results, reports, pg, quick, started))
    return 0


def _write(results, reports, pg, quick, started, partial=False) -> str:
    """BENCHMARKS.md after every step: a run stopped half-way still leaves what it measured."""
    from benchmarks import bench_scale

    table = ["| 测量 | 本系统 | 同次测得的下限 | 比值 |", "|---|---|---|---|"]
    from benchmarks import bench_dashboard, bench_secretary

    table += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in bench_scale.rows_for(results)]
    if "pages" in results:
        table += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in bench_dashboard.page_rows(results["pages"])]
    if "secretary" in results:
        table += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in bench_secretary.rows_for(results["secretary"])]
    scans = [v for k, v in results.items() if k.startswith("scan:")]
    rss = max(v["rss_mb"] for v in scans)
    total = time.perf_counter() - started
    text = "\n".join([
        "# 基准测试（make bench）", "",
        f"- 日期：{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- 机器：{_machine()}",
        f"- 命令：`make bench`（即 `.venv/bin/python -m benchmarks`{'，TRACKER_BENCH_QUICK=1' if quick else ''}）；"
        f"PostgreSQL：{'私有 schema，' + pg.split('@')[-1] if pg else '未连接，仅 SQLite'}",
        f"- 总耗时：{total:.0f} 秒；基准进程峰值 RSS {rss:.0f} MB（含生成数据，扫描本身见 tracemalloc 一列）",
        "", *table, "", "其余基准（各自与同次测得的下限对比）：", "", "```", *reports, "```", "",
        _git_line(), "（运行未结束：上表只含已完成的部分）" if partial else "", ""])
    Path(__file__).resolve().parents[1].joinpath("BENCHMARKS.md").write_text(text, encoding="utf-8")
    return text


def _git_line() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parents[1], timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        head = ""
    return f"提交：{head}" if head else ""


if __name__ == "__main__":
    sys.exit(main())
