"""Building the organization tree (省/市/县 组织部): the operator's `tracker org …` commands call these.

Only adds to the session and audits; the caller commits. A county install needs none of it: its one county
is made by the migration (or by the first account).
"""
from datetime import datetime

from sqlalchemy import func, select

from tracker.models import Organization, OrgLevel, Unit
from tracker.models.tenants import ensure_default_county
from tracker.services import audit
from tracker.services.errors import DomainError

MAX_NAME = 100


def add_organization(session, *, name: str, level: str, parent_id: int | None, now: datetime) -> Organization:
    name = " ".join((name or "").split())
    if not name or len(name) > MAX_NAME:
        raise DomainError(f"名称不能为空，且不超过{MAX_NAME}个字")
    if level not in OrgLevel.ALL:
        raise DomainError(f"级别只能是{'、'.join(OrgLevel.ALL)}")
    parent = session.get(Organization, parent_id) if parent_id is not None else None
    if parent_id is not None and parent is None:
        raise DomainError(f"上级组织部门不存在（编号{parent_id}）")
    if parent is not None and parent.level not in OrgLevel.PARENT[level]:
        raise DomainError(f"{level}级不能挂在{parent.level}级“{parent.name}”下")
    if parent is None and level == OrgLevel.CITY:
        raise DomainError("市级组织部门请指定所属的省（--parent）")
    if session.scalar(select(func.count(Organization.id)).where(
            Organization.name == name, Organization.parent_id.is_(None) if parent_id is None
            else Organization.parent_id == parent_id)):
        raise DomainError(f"“{name}”已存在")
    node = Organization(name=name, level=level, parent_id=parent_id, created_at=now)
    session.add(node)
    session.flush()
    audit.record(session, actor=None, now=now, action="create_organization", entity=node, after=name, note=level)
    return node


def move_organization(session, node: Organization, *, parent_id: int | None, now: datetime) -> Organization:
    """Hangs a node (typically the install's default county) under a city or province."""
    parent = session.get(Organization, parent_id) if parent_id is not None else None
    if parent_id is not None and (parent is None or parent.level not in OrgLevel.PARENT[node.level]):
        raise DomainError("上级组织部门不存在，或级别不能作为该部门的上级")
    audit.change(session, actor=None, now=now, entity=node, field="parent_id", value=parent_id,
                 action="move_organization")
    return node


def rename_organization(session, node: Organization, name: str, *, now: datetime) -> Organization:
    name = " ".join((name or "").split())
    if not name or len(name) > MAX_NAME:
        raise DomainError(f"名称不能为空，且不超过{MAX_NAME}个字")
    audit.change(session, actor=None, now=now, entity=node, field="name", value=name, action="rename_organization")
    return node


def tree(session, *, now: datetime) -> list[tuple[int, Organization, int]]:
    """Every node depth-first with its depth and (for counties) its number of units."""
    ensure_default_county(session, now=now)
    nodes = session.scalars(select(Organization).order_by(Organization.name, Organization.id)).all()
    units = dict(session.execute(select(Unit.county_id, func.count(Unit.id)).group_by(Unit.county_id)).all())
    children: dict[int | None, list[Organization]] = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)
    out = []

    def walk(parent_id, depth):
        for node in children.get(parent_id, []):
            out.append((depth, node, units.get(node.id, 0)))
            walk(node.id, depth + 1)

    walk(None, 0)
    return out
