"""The `tracker` command: parse and import transcripts, demo data, users. `tracker --help` lists all."""
import json
import os
import sys

from pathlib import Path

import click
from flask.cli import with_appcontext

from tracker.extensions import db
from tracker.models import Role, TaskType, Unit
from tracker.models.types import utcnow
from tracker.parser import ParseError, parse_document, read_document
from tracker.settings import settings


@click.command("parse")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json", show_default=True)
def parse_command(file: Path, fmt: str):
    """解析述职评议会议记录（.txt / .docx），输出点评与问题清单"""
    try:
        parsed = parse_document(file.read_bytes(), file.name)
    except OSError as exc:
        _fail(f"无法读取文件 {file}：{exc.strerror or exc}")
    except ParseError as exc:
        _fail(str(exc))
    if fmt == "json":
        click.echo(json.dumps(parsed.to_dict(details=True), ensure_ascii=False, indent=2))
    else:
        click.echo(parsed.format_text())


def _fail(message: str):
    click.echo(f"错误：{message}", err=True)
    sys.exit(2)


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--review-date", type=click.DateTime(["%Y-%m-%d"]), required=True, help="会议日期")
@click.option("--deadline", type=click.DateTime(["%Y-%m-%d"]), help="整改时限（长期坚持可不填）")
@click.option("--type", "task_type", type=click.Choice([t.value for t in TaskType]),
              default=TaskType.TIME_LIMITED.value, show_default=True)
@with_appcontext
def import_command(file: Path, review_date, deadline, task_type: str):
    """导入述职评议会议记录，生成整改任务（全部成功或全部不导入）"""
    from tracker.services.errors import DomainError
    from tracker.services.importer import apply_plan, build_plan

    if deadline is None and task_type != TaskType.ONGOING:
        _fail("请用 --deadline YYYY-MM-DD 指定整改时限")
    try:
        data = file.read_bytes()
        text = read_document(data, file.name)
        parsed = parse_document(data, file.name)
    except OSError as exc:
        _fail(f"无法读取文件 {file}：{exc.strerror or exc}")
    except ParseError as exc:
        _fail(str(exc))
    plan = build_plan(parsed, text=text, source_filename=file.name, held_on=review_date.date(),
                      deadline=deadline.date() if deadline else None, task_type=task_type)
    try:
        result = apply_plan(db.session, plan, actor=None, now=utcnow(),
                            rules=settings().rules, tz=settings().timezone)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        _fail(f"{exc}（未导入任何数据）")
    except Exception:
        db.session.rollback()
        raise
    if not result.created:
        click.echo(f"该文档已于此前导入（会议：{result.review.title}，编号 {result.review.id}），未做任何修改。")
        return
    click.echo(f"已导入：{result.review.title}；{len(plan.units)} 个责任单位，{len(result.tasks)} 项整改任务"
               f"（其中全县共性问题 {len(plan.overall_problems)} 项）。")
    for unit in result.flagged_units:
        click.echo(f"  待更名：单位编号 {unit.id}“{unit.name}”名称已匿名化，请在系统中更名或合并。")


@click.command("create-user")
@click.option("--username", required=True)
@click.option("--name", required=True, help="姓名")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--email")
@click.option("--unit", "unit_name", help="责任单位名称（书记必填）")
@click.password_option("--password", help="密码（至少 8 位）")
@with_appcontext
def create_user_command(username, name, role, email, unit_name, password):
    """创建用户（管理员使用）"""
    from tracker.services.accounts import create_user
    from tracker.services.errors import DomainError

    unit = None
    if unit_name:
        unit = db.session.scalar(db.select(Unit).where(Unit.name == unit_name, Unit.merged_into_id.is_(None)))
        if unit is None:
            _fail(f"找不到责任单位“{unit_name}”")
    try:
        user = create_user(db.session, username=username, name=name, role=role, email=email, unit=unit,
                           password=password, actor=None, now=utcnow())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        _fail(str(exc))
    click.echo(f"已创建用户 {user.username}（{Role(user.role).label}）")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """载入演示数据并打印演示账号"""
    from tracker.services.demo import seed_demo

    accounts = seed_demo(db.session, now=utcnow(), rules=settings().rules,
                         tz=settings().timezone)
    db.session.commit()
    click.echo("演示账号（用户名 / 密码）：")
    for username, password, label in accounts:
        click.echo(f"  {label}：{username} / {password}")


@click.group("clock")
def clock_cli():
    """演示时钟：把演示系统的“现在”调到某一时刻（生产环境不可用）"""


def _clock_path() -> str:
    from flask import current_app

    from tracker.web.main import demo_clock_allowed, demo_clock_path

    if current_app.config.get("CONFIG_NAME") == "production":
        _fail("生产环境不能设置演示时钟：系统时间即实际时间")
    if not demo_clock_allowed(current_app):
        _fail("测试配置下不使用演示时钟")
    return demo_clock_path(current_app)


@clock_cli.command("set")
@click.argument("moment")
@with_appcontext
def clock_set(moment: str):
    """把演示时钟调到 MOMENT（如 2026-12-16T09:30，县里的当地时间）"""
    from tracker.timeutil import cn_datetime, parse_local, set_demo_clock

    path = _clock_path()
    try:
        target = parse_local(moment, settings().timezone)
    except ValueError:
        _fail(f"时刻“{moment}”格式不正确，请按 2026-12-16T09:30 的格式填写")
    set_demo_clock(path, target)
    click.echo(f"演示时钟已调到 {cn_datetime(target, settings().timezone)}；页面、扫描、邮件和文书都按这一时刻计算。")


@clock_cli.command("reset")
@with_appcontext
def clock_reset():
    """恢复实际时间"""
    from tracker.timeutil import reset_demo_clock

    removed = reset_demo_clock(_clock_path())
    click.echo("演示时钟已恢复为实际时间。" if removed else "演示时钟本来就是实际时间，未做修改。")


@clock_cli.command("show")
@with_appcontext
def clock_show():
    """显示演示系统当前的“现在”"""
    from tracker.timeutil import cn_datetime, demo_offset

    _clock_path()
    offset = demo_offset()
    state = "实际时间" if offset is None else "演示时钟"
    click.echo(f"{state}：{cn_datetime(utcnow(), settings().timezone)}")


COMMANDS = [parse_command, import_command, create_user_command, seed_demo_command, clock_cli]

__all__ = ["COMMANDS"]
