"""`tracker org …`: the organization tree of a city or province install (list, add, move, rename).

Registered with the other operators' commands (tracker/ops/cli.py COMMANDS).
"""
import sys

import click
from flask.cli import with_appcontext

from tracker.extensions import db


def _run(change):
    from tracker.services.errors import DomainError

    try:
        result = change()
        db.session.commit()
        return result
    except DomainError as exc:
        db.session.rollback()
        click.echo(f"错误：{exc}", err=True)
        sys.exit(2)


def _node(node_id: int):
    from tracker.models import Organization

    node = db.session.get(Organization, node_id)
    if node is None:
        click.echo(f"错误：组织部门不存在（编号{node_id}）", err=True)
        sys.exit(2)
    return node


@click.group("org")
def org_cli():
    """组织部门树（省/市/县）：查看、新增、调整上级、更名"""


@org_cli.command("list")
@with_appcontext
def list_command():
    """列出组织部门树（编号、级别、名称；县后为责任单位数）"""
    from tracker.models.types import utcnow
    from tracker.services.organizations import tree

    rows = _run(lambda: tree(db.session, now=utcnow()))
    for depth, node, units in rows:
        mark = "（默认）" if node.is_default else ""
        tail = f"  责任单位{units}个" if node.is_county else ""
        click.echo(f"{'  ' * depth}[{node.id}] {node.level} {node.name}{mark}{tail}")


@org_cli.command("add")
@click.option("--name", required=True, help="名称，如 临江市委组织部 或 东山县")
@click.option("--level", type=click.Choice(["省", "市", "县"]), required=True)
@click.option("--parent", "parent_id", type=int, help="上级组织部门编号（tracker org list）")
@with_appcontext
def add_command(name, level, parent_id):
    """新增组织部门"""
    from tracker.models.types import utcnow
    from tracker.services.organizations import add_organization

    node = _run(lambda: add_organization(db.session, name=name, level=level, parent_id=parent_id, now=utcnow()))
    click.echo(f"已新增 [{node.id}] {node.level} {node.name}")


@org_cli.command("move")
@click.argument("node_id", type=int)
@click.option("--parent", "parent_id", type=int, help="新的上级编号；不填则成为顶层")
@with_appcontext
def move_command(node_id, parent_id):
    """调整组织部门的上级（例如把原有的县挂到市下）"""
    from tracker.models.types import utcnow
    from tracker.services.organizations import move_organization

    node = _run(lambda: move_organization(db.session, _node(node_id), parent_id=parent_id, now=utcnow()))
    click.echo(f"已调整 [{node.id}] {node.name} 的上级")


@org_cli.command("rename")
@click.argument("node_id", type=int)
@click.option("--name", required=True)
@with_appcontext
def rename_command(node_id, name):
    """更改组织部门名称（默认县的名称为“本县”，可改为实际县名）"""
    from tracker.models.types import utcnow
    from tracker.services.organizations import rename_organization

    node = _run(lambda: rename_organization(db.session, _node(node_id), name, now=utcnow()))
    click.echo(f"已更名为 {node.name}")
