"""Scheduled jobs: short functions that open an app context once and call services in tracker/."""
import logging
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from tracker.models.types import utcnow
from tracker.timeutil import cn_datetime, parse_local
from tracker.settings import settings

jobs_cli = AppGroup("jobs", help="定时任务（提醒、催办、督办、邮件投递）")


def _parse_now(value: str | None):
    if not value:
        return utcnow()
    try:
        return parse_local(value, settings().timezone)
    except ValueError:
        raise click.BadParameter("时间格式应为 2026-03-01T09:00（当地时间）或带时区偏移", param_hint="--now") from None


@jobs_cli.command("tick")
@click.option("--now", "now_text", help="以该时刻运行一次（当地时间，如 2026-03-01T09:00）；默认为当前时间")
def tick_command(now_text):
    """运行一次扫描和一次邮件投递"""
    from jobs.tasks import tick

    now = _parse_now(now_text)
    scan, delivery = tick(now, worker="tick")
    tz = settings().timezone
    click.echo(f"时刻：{cn_datetime(now, tz)}")
    click.echo(f"扫描：检查{scan.checked}项任务，新通知{scan.notices}条，等级变化{scan.level_changes}项，"
               f"单位约谈建议{scan.units}个，补发时跳过{scan.skipped}条")
    click.echo(f"投递：取出{delivery.claimed}封，已发送{delivery.sent}封，待重试{delivery.retried}封，"
               f"失败{delivery.failed}封")
    for key, error in delivery.errors[:20]:
        click.echo(f"  {key}：{error}", err=True)


@jobs_cli.command("digest")
@click.option("--now", "now_text", help="以该时刻生成（当地时间，如 2026-03-02T09:00）；默认为当前时间")
def digest_command(now_text):
    """生成本周整改督办周报（每周每人一份；非工作日或早于通知时刻不生成）"""
    from jobs.tasks import digest_job

    now = _parse_now(now_text)
    added = digest_job(now)
    click.echo(f"时刻：{cn_datetime(now, settings().timezone)}；新生成周报{added}份")


@click.command("scheduler")
@with_appcontext
def scheduler_command():
    """运行定时任务调度进程（同一数据库只有一个调度器工作，其余等待接管）"""
    from jobs.scheduler import run_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s",
                        stream=sys.stderr)
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)  # not one line per job run
    app = current_app._get_current_object()
    sys.exit(run_scheduler(app))
