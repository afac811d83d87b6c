"""Applying a confirmed roster in the caller's one transaction: all of it or, on any error, none of it."""
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from tracker.models import Role, Task, TaskStatus, User
from tracker.roster.matching import RosterPlan
from tracker.services import audit, tasks
from tracker.services.accounts import set_active

REASON = "换届（党组织书记名册导入）"


@dataclass
class Applied:
    created: int = 0
    updated: int = 0
    replaced: int = 0
    moved_tasks: int = 0
    skipped_rows: list = field(default_factory=list)
    invitable: list = field(default_factory=list)  # accounts with an email that never set a password


def apply_roster(session, plan: RosterPlan, *, actor: User, now: datetime) -> Applied:
    result = Applied(skipped_rows=[r.number for r in plan.bad])
    for row in plan.good:
        values = row.values
        user = row.user
        if user is None:
            user = User(name=values["name"], role=Role.SECRETARY, unit_id=row.unit.id, email=row.email,
                        phone=values["phone"] or None, title=values["title"] or None, password_hash=None,
                        created_at=now)
            session.add(user)
            session.flush()
            audit.record(session, actor=actor, now=now, action="create_user", entity=user, after=user.name,
                         note="党组织书记名册导入")
            result.created += 1
        else:
            changed = False
            if not user.active:
                set_active(session, user, actor=actor, now=now, active=True)
                changed = True
            for name, value in (("phone", values["phone"] or None), ("title", values["title"] or None)):
                if value is not None:
                    changed |= audit.change(session, actor=actor, now=now, entity=user, field=name, value=value,
                                            note="党组织书记名册导入")
            if row.email and not row.keep_email:
                changed |= audit.change(session, actor=actor, now=now, entity=user, field="email", value=row.email,
                                        note="党组织书记名册导入")
            result.updated += int(changed)
        for old in row.replaces:
            result.moved_tasks += _hand_over(session, old, user, actor=actor, now=now)
            set_active(session, old, actor=actor, now=now, active=False)
            result.replaced += 1
        if user.email and not user.password_hash and user.active:
            result.invitable.append(user)
    session.flush()
    return result


def _hand_over(session, old: User, new: User, *, actor: User, now: datetime) -> int:
    """The replaced secretary's open tasks move to the new one, each audited with the reason."""
    open_tasks = session.scalars(select(Task).where(Task.owner_id == old.id, Task.status != TaskStatus.CLOSED)
                                 .order_by(Task.id)).all()
    for task in open_tasks:
        tasks.set_owner(session, task, new, actor=actor, now=now, reason=f"{REASON}：{old.name}→{new.name}")
    return len(open_tasks)


def roster_rows(session, scope=None) -> list[dict]:
    """The current roster: each active unit's active secretaries, for the export; `scope` as in
    matching.build_plan."""
    from tracker.models import Unit

    rows = []
    query = select(Unit).where(Unit.merged_into_id.is_(None))
    if scope is not None:
        query = query.where(Unit.id.in_(scope))
    units = session.scalars(query.order_by(Unit.name, Unit.id)).all()
    people = session.scalars(select(User).where(User.role == Role.SECRETARY, User.active.is_(True))
                             .order_by(User.id)).all()
    by_unit: dict[int, list[User]] = {}
    for person in people:
        by_unit.setdefault(person.unit_id, []).append(person)
    for unit in units:
        for person in by_unit.get(unit.id, []) or [None]:
            rows.append({"unit": unit.name, "name": person.name if person else "", "title": (person.title or "")
                         if person else "", "phone": (person.phone or "") if person else "",
                         "email": (person.email or "") if person else "", "note": "" if person else "未登记书记"})
    return rows
