"""Operator commands (backup, restore, check-config); create_app() registers every command in COMMANDS."""
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from config import Config
from tracker.extensions import db
from tracker.ops.org_cli import org_cli


def _fail(message: str):
    click.echo(f"错误：{message}", err=True)
    sys.exit(2)


@click.command("check-config")
@with_appcontext
def check_config_command():
    """检查配置：打印生效的设置（密钥已隐藏），检查数据库、邮件服务器、上传目录和节假日表"""
    from tracker.ops.report import describe_paths, masked_settings, run_all

    app = current_app._get_current_object()
    names = [name for name in dir(Config) if name.isupper()]
    click.echo("== 生效的设置 / effective settings ==")
    for name, shown in masked_settings(app.config, names):
        click.echo(f"  {name} = {shown}")
    for label, value in describe_paths(app):
        click.echo(f"  {label}: {value}")
    click.echo("== 检查 / checks ==")
    results = run_all(app, db)
    for label, ok, message in results:
        click.echo(f"  [{'通过' if ok else '失败'}] {label}：{message}")
    failed = [label for label, ok, _ in results if not ok]
    if failed:
        click.echo(f"有 {len(failed)} 项检查未通过：{'、'.join(failed)}", err=True)
        sys.exit(1)
    click.echo("全部检查通过。")


@click.command("backup")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(directory: Path):
    """备份数据库与佐证材料到一个新目录（运行中也可备份；附 SHA-256 校验清单）"""
    from tracker.ops.backup import BackupError, backup

    try:
        manifest = backup(current_app.config, db.metadata, directory)
    except BackupError as exc:
        _fail(str(exc))
    counts = manifest["row_counts"]
    click.echo(f"已备份到 {directory}：数据库（{manifest['database_kind']}）{sum(counts.values())} 行，"
               f"整改任务 {counts.get('task', 0)} 项，进展 {counts.get('progress_update', 0)} 条，"
               f"佐证材料 {counts.get('evidence', 0)} 个，审计记录 {counts.get('audit_event', 0)} 条；"
               f"文件 {len(manifest['files'])} 个（清单 manifest.json）。")


@click.command("restore")
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
@with_appcontext
def restore_command(directory: Path):
    """从备份目录恢复到空数据库（先核对校验和；目标数据库或上传目录非空时拒绝）"""
    from tracker.ops.backup import BackupError, restore

    db.session.remove()
    db.engine.dispose()  # restore opens its own connections; ours must not hold the SQLite file
    try:
        result = restore(current_app.config, db.metadata, directory)
    except BackupError as exc:
        _fail(str(exc))
    counts = result["row_counts"]
    click.echo(f"已恢复：{sum(counts.values())} 行（整改任务 {counts.get('task', 0)} 项，"
               f"审计记录 {counts.get('audit_event', 0)} 条），佐证材料文件 {result['files']} 个，"
               f"数据库版本 {result['alembic_revision'] or '未知'}。请运行 tracker db upgrade 与 tracker check-config。")


@click.command("check-aggregates")
@click.option("--repair", is_flag=True, help="发现差异时按整改任务重算并替换计数")
@with_appcontext
def check_aggregates_command(repair: bool):
    """核对工作台计数：按整改任务重新统计，与数据库维护的计数逐项比较（有差异时退出码为 1）"""
    from tracker.services.aggregates import differences, rebuild

    found = differences(db.session)
    db.session.rollback()
    if not found:
        click.echo("工作台计数与整改任务一致。")
        return
    for difference in found[:50]:
        click.echo(f"  {difference.describe()}", err=True)
    if len(found) > 50:
        click.echo(f"  ……另有 {len(found) - 50} 处差异未列出", err=True)
    if repair:
        rebuild(db.session)
        db.session.commit()
        left = differences(db.session)
        db.session.rollback()
        if not left:
            click.echo(f"发现 {len(found)} 处差异，已按整改任务重算工作台计数，现已一致。", err=True)
            sys.exit(1)
        click.echo(f"重算后仍有 {len(left)} 处差异：计数触发器可能缺失，请运行 tracker db upgrade。", err=True)
        sys.exit(1)
    click.echo(f"工作台计数与整改任务不一致：共 {len(found)} 处差异。请运行 tracker check-aggregates --repair "
               "重算，并检查数据库触发器是否存在（tracker db upgrade）。", err=True)
    sys.exit(1)


COMMANDS: list = [check_config_command, backup_command, restore_command, check_aggregates_command, org_cli]
