"""The maintained task counts (tracker/models/aggregates.py): read for the 工作台, checked against the tasks.

Reads cost the number of distinct (unit, review, state, deadline day) keys, never the number of tasks: at
100 units and deadlines over nine months that is at most ~27,000 rows whether there are 10^5 or 10^7 tasks.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import (
    Date,
    Integer,
    String,
    and_,
    case,
    column,
    delete,
    func,
    or_,
    select,
    text,
)

from tracker.models import TaskStatus
from tracker.models.aggregates import (
    CLOSURE_KEY,
    CLOSURE_UTC_OFFSET_HOURS,
    COUNT_KEY,
    GRAIN_DAY,
    GRAIN_MONTH,
    GRAINS,
    NO_UNIT,
    STAGE_OVERDUE,
    STAGE_REMIND,
    UnitClosureCount,
    UnitTaskCount,
    _closure_key,
    _is_closure,
    _key,
)
from tracker.services.lights import light_case, overdue_case

C = UnitTaskCount
CC = UnitClosureCount


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def grain_rows(today: date, due_soon_days: int):
    """Which count rows answer for `today`: each task exactly once, by its month where that whole month is
    before today's month or after today+due_soon_days, else by its day (see models.aggregates.GRAIN_DAY)."""
    first, soon = month_start(today), today + timedelta(days=due_soon_days)
    return or_(and_(C.grain == GRAIN_MONTH, or_(C.deadline < first, C.deadline > soon)),
               and_(C.grain == GRAIN_DAY, C.deadline >= first, C.deadline < next_month(soon)))


def scope(table, *, review_id: int | None, within, today: date | None = None, due_soon_days: int = 7):
    """`within`: access.task_scope(user) (its units, and its counties' county-wide problems), or None for all (and the county-wide
    problems, which belong to no unit). Counts are read for `today` (grain_rows); a date-free read
    (open_levels) takes the month rows, each task once."""
    if table is C:
        conditions = [grain_rows(today, due_soon_days) if today else C.grain == GRAIN_MONTH]
    else:
        conditions = []
    if review_id:
        conditions.append(table.review_id == review_id)
    if within is not None:
        conditions.append(or_(table.unit_id.in_(within.units),
                              and_(table.unit_id == NO_UNIT, table.review_id.in_(within.reviews))))
    return conditions


def n_if(condition):
    return func.coalesce(func.sum(case((condition, C.n), else_=0)), 0)


def light(today, due_soon_days: int):
    """Each count row's 红/黄/绿/已销号, by the one rule (lights.light_case)."""
    return light_case(closed=C.status == TaskStatus.CLOSED, level=C.level, deadline=C.deadline,
                      red_stage=C.stage == STAGE_OVERDUE, yellow_stage=C.stage == STAGE_REMIND,
                      today=today, due_soon_days=due_soon_days)


def overdue(today):
    return overdue_case(deadline=C.deadline, not_ongoing=C.ongoing == 0, status=C.status, today=today)


def closure_counts(session, *, review_id: int | None, within, period_of) -> dict[str, int]:
    """已销号 per period; `period_of(day column)` gives the period label in SQL."""
    period = period_of(CC.closed_on).label("period")
    return dict(session.execute(
        select(period, func.sum(CC.n)).where(*scope(CC, review_id=review_id, within=within))
        .group_by(period).order_by(period)).all())


def exact_late_since(session, unit_ids, *, today: date, review_id: int | None) -> dict[int, date]:
    """The deadline of each unit's longest-overdue task, from the day rows (month rows only know the month):
    one statement for the units of one page."""
    if not unit_ids:
        return {}
    rows = session.execute(select(C.unit_id, func.min(C.deadline))
                           .where(C.grain == GRAIN_DAY, C.unit_id.in_(unit_ids), overdue(today),
                                  *([C.review_id == review_id] if review_id else []))
                           .group_by(C.unit_id))
    return dict(rows.all())


def open_levels(session, *, within=None) -> dict[int, int]:
    """{escalation level: open tasks} from the counts (the notify panel of the 工作台 can read this instead
    of grouping the task table on every request)."""
    rows = session.execute(select(C.level, func.sum(C.n)).where(C.status != TaskStatus.CLOSED,
                                                               *scope(C, review_id=None, within=within))
                           .group_by(C.level))
    return {level: int(n) for level, n in rows}


def closure_offset_hours() -> int:
    return CLOSURE_UTC_OFFSET_HOURS


# --- checking: the counts recomputed from the tasks, by the very expressions the triggers use ----------

def count_rows_sql(dialect: str) -> str:
    group = ", ".join(str(i + 1) for i in range(len(COUNT_KEY)))
    return " UNION ALL ".join(f"SELECT {', '.join(_key('r', dialect, g))}, count(*) FROM task r GROUP BY {group}"
                              for g in GRAINS)


def closure_rows_sql(dialect: str) -> str:
    key = _closure_key("r", dialect)
    return (f"SELECT {', '.join(key)}, count(*) FROM task r WHERE {_is_closure('r')} "
            f"GROUP BY {', '.join(str(i + 1) for i in range(len(key)))}")


_TYPES = {"grain": Integer, "unit_id": Integer, "review_id": Integer, "status": String, "level": Integer, "stage": Integer,
          "deadline": Date, "ongoing": Integer, "closed_on": Date, "n": Integer}


def _typed(sql: str, names):
    # text() would read ':urge' inside the key's string literals as a bind parameter.
    return text(sql.replace(":", "\\:")).columns(*[column(name, _TYPES[name]) for name in (*names, "n")])


@dataclass(frozen=True)
class Difference:
    table: str  # 任务计数 / 销号计数
    key: dict
    maintained: int
    recomputed: int

    def describe(self) -> str:
        key = "，".join(f"{name}={value}" for name, value in self.key.items())
        return f"{self.table}（{key}）：维护值 {self.maintained}，按任务重算 {self.recomputed}"


def differences(session) -> list[Difference]:
    """Every key where the maintained count is not what the tasks say (an empty list: they agree)."""
    dialect = session.get_bind().dialect.name
    out = []
    for label, table, names, sql in (("任务计数", C, COUNT_KEY, count_rows_sql(dialect)),
                                     ("销号计数", CC, CLOSURE_KEY, closure_rows_sql(dialect))):
        columns = [getattr(table, name) for name in names]
        kept = {tuple(r[:-1]): r[-1] for r in session.execute(select(*columns, table.n))}
        fresh = {tuple(r[:-1]): r[-1] for r in session.execute(_typed(sql, names))}
        for key in sorted(kept.keys() | fresh.keys(), key=repr):
            if kept.get(key, 0) != fresh.get(key, 0):
                out.append(Difference(label, dict(zip(names, key)), kept.get(key, 0), fresh.get(key, 0)))
    return out


def rebuild(session) -> None:
    """Replaces the counts by the ones recomputed from the tasks, in the caller's transaction (PostgreSQL
    holds off task writers meanwhile, so none is lost between the two)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("LOCK TABLE task IN SHARE MODE"))
    session.execute(delete(C))
    session.execute(delete(CC))
    session.execute(text(f"INSERT INTO unit_task_count ({', '.join(COUNT_KEY)}, n) "
                         + count_rows_sql(dialect).replace(":", "\\:")))
    session.execute(text(f"INSERT INTO unit_closure_count ({', '.join(CLOSURE_KEY)}, n) "
                         + closure_rows_sql(dialect).replace(":", "\\:")))


__all__ = [
    "NO_UNIT",
    "Difference",
    "closure_counts",
    "differences",
    "light",
    "n_if",
    "overdue",
    "rebuild",
    "scope",
]
