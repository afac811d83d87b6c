"""Renaming and merging 责任单位, typically the anonymised ones ("XX镇") an import flagged.

Both only change the session, audited; the caller commits once, so a merge moves all or nothing.
"""
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from tracker.models import Comment, Role, Task, Unit, User
from tracker.models.proposals import OrgHandling, Proposal
from tracker.services import access, audit
from tracker.services.errors import DomainError, PermissionDenied
from tracker.services import keys

MAX_NAME = 100
UNIT_MANAGERS = {Role.ORG_DEPT, Role.ADMIN}
UNITS_PER_PAGE = 50
MAX_QUERY = 100


@dataclass
class UnitRow:
    unit: Unit
    merged_into_name: str | None  # the unit it was merged into, None while it is active


@dataclass
class UnitListing:
    """One page of the 责任单位 page. A city has thousands of units: the page holds at most `per_page` rows,
    and the merge targets once (only when a row on the page is 待更名: only those are merged)."""
    rows: list[UnitRow]
    total: int
    page: int
    per_page: int
    q: str
    targets: list = field(default_factory=list)  # rows with .id, .name, .needs_rename: the active units

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    # The pager macro's interface (that of a Flask-SQLAlchemy Pagination).
    has_prev = property(lambda self: self.page > 1)
    has_next = property(lambda self: self.page < self.pages)
    prev_num = property(lambda self: self.page - 1)
    next_num = property(lambda self: self.page + 1)


def unit_listing(session, *, q: str | None = "", page: int | None = 1,
                 per_page: int = UNITS_PER_PAGE, scope=None) -> UnitListing:
    """Units whose name contains `q`: 待更名 first, then the others by name, merged ones last.
    `scope`: access.unit_scope(user) (a select of Unit.id, or None for every unit)."""
    q = " ".join((q or "").split())[:MAX_QUERY]
    conditions = [Unit.name.icontains(q, autoescape=True)] if q else []
    scoped = [Unit.id.in_(scope)] if scope is not None else []
    conditions += scoped
    total = session.scalar(select(func.count(Unit.id)).where(*conditions)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page or 1), pages)
    target = aliased(Unit)
    result = session.execute(
        select(Unit, target.name).outerjoin(target, Unit.merged_into_id == target.id).where(*conditions)
        .order_by(Unit.needs_rename.desc(), Unit.merged_into_id.is_not(None), Unit.name, Unit.id)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    rows = [UnitRow(unit, merged_name if unit.merged_into_id is not None else None) for unit, merged_name in result]
    targets = []
    if any(row.unit.needs_rename and row.merged_into_name is None for row in rows):
        targets = list(session.execute(
            select(Unit.id, Unit.name, Unit.needs_rename).where(Unit.merged_into_id.is_(None), *scoped)
            .order_by(Unit.needs_rename, Unit.name, Unit.id)))
    return UnitListing(rows, total, page, per_page, q, targets)


def _require_manager(actor: User, *units: Unit) -> None:
    if actor.role not in UNIT_MANAGERS:
        raise PermissionDenied("仅县委组织部或系统管理员可以修改责任单位")
    if not all(access.can_view_unit(actor, unit) for unit in units if unit is not None):
        raise PermissionDenied("只能修改本县（市、区）的责任单位")


def _require_active(unit: Unit) -> None:
    if unit.merged_into_id is not None:
        raise DomainError(f"“{unit.name}”已并入其他单位，不能再修改")


def rename_unit(session, unit: Unit, new_name: str, *, actor: User, now: datetime) -> Unit:
    _require_manager(actor, unit)
    _require_active(unit)
    name = (new_name or "").strip()
    if not name:
        raise DomainError("请填写新的单位名称")
    if len(name) > MAX_NAME:
        raise DomainError(f"单位名称不能超过{MAX_NAME}个字")
    from tracker.services.importer import is_anonymised  # imports the parser; loaded on use

    if is_anonymised(name):
        raise DomainError(f"“{name}”仍是匿名化名称，请填写真实的单位全称")
    clash = session.scalar(
        select(func.count()).select_from(Unit)
        .where(Unit.name == name, Unit.id != unit.id, Unit.merged_into_id.is_(None),
               Unit.county_id.is_(None) if unit.county_id is None else Unit.county_id == unit.county_id)
    )
    if clash:
        raise DomainError(f"已有名为“{name}”的单位；如果是同一单位，请使用“合并”")
    audit.change(session, actor=actor, now=now, entity=unit, field="name", value=name, action="rename_unit")
    audit.change(session, actor=actor, now=now, entity=unit, field="needs_rename", value=False,
                 action="rename_unit")
    return unit


def _unit_scope_key(proposal: Proposal, source: Unit, target: Unit) -> str:
    """A unit proposal's scope_key ("unit:<id>:<YYYY-MM>") rewritten to name the target unit.

    Keeps the old key when the target already has a proposal of that kind and month: the unique
    (kind, scope_key) stays valid, and the target's own proposal already stops a second one that month.
    """
    return keys.rescope_unit(proposal.scope_key, source.id, target.id)


def merge_unit(session, source: Unit, target: Unit, *, actor: User, now: datetime) -> dict[str, int]:
    """Moves the source unit's tasks, 点评, users, 约谈/通报 proposals and 组织处理 records into target,
    and marks source merged_into target.

    Proposals must follow the secretaries: their access to a proposal goes by proposal.unit_id.
    """
    _require_manager(actor, source, target)
    if target is None:
        raise DomainError("请选择要并入的单位")
    if source.id == target.id:
        raise DomainError("不能把单位并入它自己")
    if source.county_id != target.county_id:
        # Tasks, 点评 and secretaries would change tenant: that is a transfer between counties, not a merge.
        raise DomainError("不能把单位并入其他县（市、区）的单位")
    _require_active(source)
    _require_active(target)
    note = f"“{source.name}”并入“{target.name}”"
    moved = {"tasks": 0, "comments": 0, "users": 0, "proposals": 0, "org_handlings": 0}
    for task in session.scalars(select(Task).where(Task.unit_id == source.id).order_by(Task.id)):
        audit.change(session, actor=actor, now=now, entity=task, field="unit_id", value=target.id,
                     action="merge_unit", note=note)
        moved["tasks"] += 1
    for comment in session.scalars(select(Comment).where(Comment.unit_id == source.id).order_by(Comment.id)):
        audit.change(session, actor=actor, now=now, entity=comment, field="unit_id", value=target.id,
                     action="merge_unit", note=note)
        moved["comments"] += 1
    for user in session.scalars(select(User).where(User.unit_id == source.id).order_by(User.id)):
        audit.change(session, actor=actor, now=now, entity=user, field="unit_id", value=target.id,
                     action="merge_unit", note=note)
        moved["users"] += 1
    proposals = session.scalars(select(Proposal).where(Proposal.unit_id == source.id).order_by(Proposal.id)).all()
    new_keys = {p.id: _unit_scope_key(p, source, target) for p in proposals}
    wanted = [(p.kind, new_keys[p.id]) for p in proposals if new_keys[p.id] != p.scope_key]
    taken = set()
    if wanted:
        taken = {tuple(row) for row in session.execute(
            select(Proposal.kind, Proposal.scope_key)
            .where(Proposal.scope_key.in_({key for _, key in wanted})))}
    for proposal in proposals:
        audit.change(session, actor=actor, now=now, entity=proposal, field="unit_id", value=target.id,
                     action="merge_unit", note=note)
        if (proposal.kind, new_keys[proposal.id]) not in taken:
            audit.change(session, actor=actor, now=now, entity=proposal, field="scope_key",
                         value=new_keys[proposal.id], action="merge_unit", note=note)
        moved["proposals"] += 1
    for handling in session.scalars(select(OrgHandling).where(OrgHandling.unit_id == source.id)
                                    .order_by(OrgHandling.id)):
        audit.change(session, actor=actor, now=now, entity=handling, field="unit_id", value=target.id,
                     action="merge_unit", note=note)
        moved["org_handlings"] += 1
    audit.change(session, actor=actor, now=now, entity=source, field="merged_into_id", value=target.id,
                 action="merge_unit", note=f"{note}：任务{moved['tasks']}个，点评{moved['comments']}条，"
                                           f"用户{moved['users']}个，约谈/通报建议{moved['proposals']}项，"
                                           f"组织处理{moved['org_handlings']}条")
    audit.change(session, actor=actor, now=now, entity=source, field="needs_rename", value=False,
                 action="merge_unit", note=note)
    session.flush()
    return moved
