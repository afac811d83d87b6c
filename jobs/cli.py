import click
from flask.cli import AppGroup

jobs_cli = AppGroup("jobs", help="定时任务（提醒、催办、督办、邮件投递）")


@click.command("scheduler")
def scheduler_command():
    """运行定时任务调度进程"""
    raise click.ClickException("not built yet")
