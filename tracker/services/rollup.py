"""The city's and the province's view of their counties: per county (and, drilled down, per unit) the open
and overdue tasks, the 销号率 and the open tasks per 督办等级 — one GROUP BY over the tasks per page.

Overdue is "open with a deadline before today", today being the county's date; 长期坚持 tasks (no deadline)
are never overdue. 销号率 = closed / all tasks, None when there are none.
"""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, select

from tracker.models import EscalationLevel, Organization, OrgLevel, Task, TaskStatus, Unit

LEVELS = (EscalationLevel.SUPERVISION, EscalationLevel.TALK, EscalationLevel.CIRCULAR)


@dataclass(frozen=True)
class RollupRow:
    id: int | None
    name: str
    total: int
    open: int
    overdue: int
    closed: int
    levels: dict  # escalation level → open tasks at that level

    @property
    def closure_rate(self) -> float | None:
        return self.closed / self.total if self.total else None


def _measures(today: date) -> list:
    is_open = Task.status != TaskStatus.CLOSED
    total = func.count(Task.id)
    closed = func.coalesce(func.sum(case((Task.status == TaskStatus.CLOSED, 1), else_=0)), 0)
    overdue = func.coalesce(func.sum(case((and_(is_open, Task.deadline < today), 1), else_=0)), 0)
    levels = [func.coalesce(func.sum(case((and_(is_open, Task.escalation_level == level), 1), else_=0)), 0)
              for level in LEVELS]
    return [total, closed, overdue, *levels]


def _row(row_id, name, total, closed, overdue, *levels) -> RollupRow:
    total, closed = int(total or 0), int(closed or 0)
    return RollupRow(id=row_id, name=name, total=total, open=total - closed, overdue=int(overdue or 0),
                     closed=closed, levels={level: int(n or 0) for level, n in zip(LEVELS, levels)})


def by_county(session, *, scope, today: date) -> list[RollupRow]:
    """Every county of `scope` (access.county_scope: a select of county ids, or None for all), counties
    without tasks included, the most overdue first."""
    query = (select(Organization.id, Organization.name, *_measures(today))
             .select_from(Organization).outerjoin(Task, Task.county_id == Organization.id)
             .where(Organization.level == OrgLevel.COUNTY)
             .group_by(Organization.id, Organization.name))
    if scope is not None:
        query = query.where(Organization.id.in_(scope))
    rows = [_row(*row) for row in session.execute(query)]
    return sorted(rows, key=lambda r: (-r.overdue, -r.open, r.name, r.id))


def by_unit(session, county_id: int, *, today: date) -> list[RollupRow]:
    """One county drilled down: its units (and its county-wide tasks as a row of their own, id None)."""
    query = (select(Task.unit_id, Unit.name, *_measures(today))
             .select_from(Task).outerjoin(Unit, Unit.id == Task.unit_id)
             .where(Task.county_id == county_id)
             .group_by(Task.unit_id, Unit.name))
    rows = [_row(unit_id, name if unit_id is not None else "全县共性问题", *rest)
            for unit_id, name, *rest in session.execute(query)]
    return sorted(rows, key=lambda r: (-r.overdue, -r.open, r.name, r.id or 0))


def totals(rows: list[RollupRow]) -> RollupRow:
    return RollupRow(id=None, name="合计", total=sum(r.total for r in rows), open=sum(r.open for r in rows),
                     overdue=sum(r.overdue for r in rows), closed=sum(r.closed for r in rows),
                     levels={level: sum(r.levels[level] for r in rows) for level in LEVELS})
