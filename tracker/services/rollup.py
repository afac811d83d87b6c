"""The city's and the province's view of their counties: per county (and, drilled down, per unit) the open
and overdue tasks, the 销号率 and the open tasks per 督办等级 — one GROUP BY over the maintained counts per page.

Overdue is the 工作台's: open, a deadline before today (the county's date), not 长期坚持. 销号率 = closed / all
tasks, None when there are none.
"""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, select

from tracker.models import EscalationLevel, Organization, OrgLevel, Review, TaskStatus, Unit
from tracker.models.aggregates import NO_UNIT, UnitTaskCount as C
from tracker.services import aggregates

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
    """Sums over the maintained counts (tracker.models.aggregates, kept by triggers in the task's own
    transaction), so the page reads a few thousand count rows, not a million tasks. Overdue by the one rule
    (lights.overdue_case): open, a deadline before today, not 长期坚持."""
    is_open = C.status != TaskStatus.CLOSED
    total = func.coalesce(func.sum(C.n), 0)
    closed = aggregates.n_if(C.status == TaskStatus.CLOSED)
    overdue = aggregates.n_if(aggregates.overdue(today))
    levels = [aggregates.n_if(and_(is_open, C.level == level)) for level in LEVELS]
    return [total, closed, overdue, *levels]


def _row(row_id, name, total, closed, overdue, *levels) -> RollupRow:
    total, closed = int(total or 0), int(closed or 0)
    return RollupRow(id=row_id, name=name, total=total, open=total - closed, overdue=int(overdue or 0),
                     closed=closed, levels={level: int(n or 0) for level, n in zip(LEVELS, levels)})


def _counts_of_reviews(today: date):
    # Each task once (by month far from today, by day near it); due_soon_days 0: only 逾期 matters here.
    return and_(C.review_id == Review.id, aggregates.grain_rows(today, 0))


def by_county(session, *, scope, today: date) -> list[RollupRow]:
    """Every county of `scope` (access.county_scope: a select of county ids, or None for all), counties
    without tasks included, the most overdue first. A task's county is its review's (an import puts the
    review, its units and its tasks in one county; units merge only within a county)."""
    query = (select(Organization.id, Organization.name, *_measures(today))
             .select_from(Organization)
             .outerjoin(Review, Review.county_id == Organization.id)
             .outerjoin(C, _counts_of_reviews(today))
             .where(Organization.level == OrgLevel.COUNTY)
             .group_by(Organization.id, Organization.name))
    if scope is not None:
        query = query.where(Organization.id.in_(scope))
    rows = [_row(*row) for row in session.execute(query)]
    return sorted(rows, key=lambda r: (-r.overdue, -r.open, r.name, r.id))


def by_unit(session, county_id: int, *, today: date) -> list[RollupRow]:
    """One county drilled down: its units (and its county-wide tasks as a row of their own, id None)."""
    query = (select(C.unit_id, Unit.name, *_measures(today))
             .select_from(Review).join(C, _counts_of_reviews(today))
             .outerjoin(Unit, Unit.id == C.unit_id)
             .where(Review.county_id == county_id)
             .group_by(C.unit_id, Unit.name))
    rows = [_row(unit_id if unit_id != NO_UNIT else None, name if unit_id != NO_UNIT else "全县共性问题", *rest)
            for unit_id, name, *rest in session.execute(query)]
    return sorted(rows, key=lambda r: (-r.overdue, -r.open, r.name, r.id or 0))


def totals(rows: list[RollupRow]) -> RollupRow:
    return RollupRow(id=None, name="合计", total=sum(r.total for r in rows), open=sum(r.open for r in rows),
                     overdue=sum(r.overdue for r in rows), closed=sum(r.closed for r in rows),
                     levels={level: sum(r.levels[level] for r in rows) for level in LEVELS})
