"""Read-side queries for the organization department's pages.

The 工作台's figures (totals, the unit table, the closure trend) come from the counts the database keeps
beside the tasks (services.aggregates), so the page costs the same at 10^4 and 10^6 tasks; the task list
filters the task table itself through its indexes.
"""
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import joinedload

from tracker.models import (
    EscalationLevel,
    ExtensionRequest,
    ExtensionStatus,
    Role,
    Task,
    TaskStatus,
    Unit,
    User,
)
from tracker.models.aggregates import NO_UNIT, UnitTaskCount
from tracker.services import access, aggregates
from tracker.services.aggregates import n_if
from tracker.services.lights import KEYS, Light, light_of, light_sql, overdue_sql, worst
from tracker.timeutil import local_datetime

OVERALL_UNIT_LABEL = "县委组织部（全县共性问题）"

_CLOSED = Task.status == TaskStatus.CLOSED
_OPEN = Task.status != TaskStatus.CLOSED


def _scope(review_id: int | None):
    return [Task.review_id == review_id] if review_id else []


@dataclass(frozen=True)
class Overview:
    total: int
    closed: int
    awaiting: int  # 待审核销号
    overdue: int
    levels: dict[int, int]
    lights: dict[str, int]  # red / yellow / green / closed → tasks
    extensions: int = 0  # 待审批延期

    @property
    def closure_rate(self) -> float:
        """销号率 as a percentage with one decimal."""
        return round(100.0 * self.closed / self.total, 1) if self.total else 0.0


def overview(session, *, review_id: int | None, today: date, due_soon_days: int = 7, within=None) -> Overview:
    """Totals from the maintained counts (services.aggregates): the same cost at 10^4 and 10^6 tasks.

    `within`: access.task_scope(user), or None for all."""
    light = aggregates.light(today, due_soon_days)
    c = UnitTaskCount
    is_open = c.status != TaskStatus.CLOSED
    row = session.execute(
        select(
            func.coalesce(func.sum(c.n), 0),
            n_if(c.status == TaskStatus.CLOSED),
            n_if(c.status == TaskStatus.AWAITING_VERIFICATION),
            n_if(aggregates.overdue(today)),
            *[n_if(and_(c.level == level, is_open)) for level in (1, 2, 3)],
            *[n_if(light == key) for key in KEYS],
        ).where(*aggregates.scope(c, review_id=review_id, within=within, today=today, due_soon_days=due_soon_days))
    ).one()
    extensions = session.scalar(
        select(func.count(ExtensionRequest.id)).join(Task, Task.id == ExtensionRequest.task_id)
        .where(ExtensionRequest.status == ExtensionStatus.REQUESTED, _OPEN, *_scope(review_id), *_unit_scope(within)))
    return Overview(total=row[0], closed=row[1], awaiting=row[2], overdue=row[3],
                    levels={1: row[4], 2: row[5], 3: row[6]}, lights=dict(zip(KEYS, row[7:11])),
                    extensions=extensions or 0)


def _unit_scope(within):
    if within is None:
        return []
    return [or_(Task.unit_id.in_(within.units), and_(Task.unit_id.is_(None), Task.review_id.in_(within.reviews)))]


@dataclass(frozen=True)
class UnitRow:
    unit_id: int | None
    name: str
    tasks: int
    closed: int
    overdue: int
    max_level: int
    light: Light
    lights: dict[str, int]
    overdue_days: int  # of its longest-overdue open task; 0 when none is late

    @property
    def closure_rate(self) -> float:
        return round(100.0 * self.closed / self.tasks, 1) if self.tasks else 0.0

    @property
    def level_label(self) -> str:
        return EscalationLevel.LABELS.get(self.max_level, "")


# "worst": most 红灯 first, then the longest overdue, then most 黄灯 — the 工作台's default.
UNIT_SORTS = ("worst", "name", "tasks", "closed", "rate", "overdue", "level")


def unit_rows_query(*, review_id: int | None, today: date, sort: str = "worst", due_soon_days: int,
                    q: str = "", within=None):
    """One row per 责任单位 (plus the county-wide problems) as a select(), sorted by `sort` ("-x" descending),
    read from the maintained counts. Rows go through unit_row(); a view pages them with main.paginate_rows."""
    c = UnitTaskCount
    light = aggregates.light(today, due_soon_days)
    late = aggregates.overdue(today)
    tasks = func.sum(c.n).label("tasks")
    closed = n_if(c.status == TaskStatus.CLOSED).label("closed")
    overdue = n_if(late).label("overdue")
    max_level = func.coalesce(func.max(c.level), 0).label("max_level")
    # From month rows this is the first day of the month: the ranking breaks ties by month, and the page
    # shows the exact day through exact_lateness().
    earliest_late = func.min(case((late, c.deadline), else_=None)).label("earliest_late")
    counts = [n_if(light == key).label(key) for key in KEYS]
    name = func.coalesce(Unit.name, literal(OVERALL_UNIT_LABEL)).label("name")
    rate = (closed * 1.0 / func.nullif(tasks, 0))
    key = sort.lstrip("-")
    if key == "worst":
        order = [counts[0].desc(), earliest_late.asc().nulls_last(), counts[1].desc(), name.asc()]
    else:
        column = {"name": name, "tasks": tasks, "closed": closed, "rate": rate, "overdue": overdue,
                  "level": max_level}.get(key, name)
        order = [column.desc() if sort.startswith("-") else column.asc(), name.asc()]
    query = (
        select(c.unit_id, name, tasks, closed, overdue, max_level, earliest_late, *counts)
        .select_from(c).outerjoin(Unit, Unit.id == c.unit_id)
        .where(*aggregates.scope(c, review_id=review_id, within=within, today=today, due_soon_days=due_soon_days))
        .group_by(c.unit_id, Unit.name)
        .order_by(*order)
    )
    text = (q or "").strip()
    if text:
        query = query.having(name.ilike(f"%{escape_like(text)}%", escape="\\"))
    return query


def unit_row(r, today: date) -> UnitRow:
    lights = {key: int(getattr(r, key)) for key in KEYS}
    # The unit's light is the worst light of its tasks, each by the one rule (lights.light_case).
    worst_key = worst(key for key, n in lights.items() if n)
    return UnitRow(unit_id=r.unit_id or None, name=r.name, tasks=int(r.tasks), closed=int(r.closed),
                   overdue=int(r.overdue), max_level=r.max_level, light=light_of(worst_key), lights=lights,
                   overdue_days=(today - r.earliest_late).days if r.earliest_late else 0)


def exact_lateness(session, rows: list[UnitRow], *, today: date, review_id: int | None) -> list[UnitRow]:
    """The page's units with 最长逾期 to the day (one statement for the page)."""
    def key(row: UnitRow) -> int:
        return row.unit_id or NO_UNIT

    since = aggregates.exact_late_since(session, [key(r) for r in rows if r.overdue_days], today=today,
                                        review_id=review_id)
    return [replace(r, overdue_days=(today - since[key(r)]).days) if key(r) in since else r for r in rows]


def unit_rows(session, *, review_id: int | None, today: date, sort: str = "worst",
              due_soon_days: int, q: str = "", within=None) -> list[UnitRow]:
    query = unit_rows_query(review_id=review_id, today=today, sort=sort, due_soon_days=due_soon_days, q=q,
                            within=within)
    return exact_lateness(session, [unit_row(r, today) for r in session.execute(query)], today=today,
                          review_id=review_id)


def _count_period(session, bucket: str):
    """The week (its Monday) or month of a maintained closure day, as 'YYYY-MM-DD' / 'YYYY-MM' text."""
    if session.get_bind().dialect.name == "postgresql":
        unit, pattern = ("week", "YYYY-MM-DD") if bucket == "week" else ("month", "YYYY-MM")
        return lambda day: func.to_char(func.date_trunc(unit, day), pattern)
    if bucket == "week":
        return lambda day: func.date(day, "weekday 0", "-6 days")
    return lambda day: func.strftime("%Y-%m", day)


def _offset_hours(tz: str | None) -> int:
    offset = local_datetime(datetime.now().astimezone(), tz).utcoffset() or timedelta(0)
    return int(offset.total_seconds() // 3600)


def _bucket_expression(session, bucket: str, tz: str | None):
    """The local week (its Monday) or month of Task.closed_at, as 'YYYY-MM-DD' / 'YYYY-MM' text.

    closed_at is stored as naive UTC; shifting by the zone's current offset is exact for China (no DST) and
    keeps the expression portable between SQLite and PostgreSQL.
    """
    hours = _offset_hours(tz)
    if session.get_bind().dialect.name == "postgresql":
        local = Task.closed_at + func.make_interval(0, 0, 0, 0, hours)
        unit = "week" if bucket == "week" else "month"
        pattern = "YYYY-MM-DD" if bucket == "week" else "YYYY-MM"
        return func.to_char(func.date_trunc(unit, local), pattern)
    shift = f"{hours:+d} hours"
    if bucket == "week":
        return func.date(Task.closed_at, shift, "weekday 0", "-6 days")
    return func.strftime("%Y-%m", Task.closed_at, shift)


def closures_over_time(session, *, review_id: int | None, bucket: str = "week",
                       tz: str | None = None, limit: int = 104,
                       until: date | None = None, within=None) -> list[tuple[str, int, int]]:
    """[(period label, closed in period, cumulative 已销号)] with empty periods filled in (up to `until`)."""
    bucket = "month" if bucket == "month" else "week"
    if _offset_hours(tz) == aggregates.closure_offset_hours():
        counts = aggregates.closure_counts(session, review_id=review_id, within=within,
                                           period_of=_count_period(session, bucket))
    else:  # a zone the maintained closure days are not in: read the tasks (slow past 10^5, but right)
        period = _bucket_expression(session, bucket, tz).label("period")
        counts = dict(session.execute(
            select(period, func.count(Task.id)).where(_CLOSED, Task.closed_at.is_not(None), *_scope(review_id),
                                                      *_unit_scope(within))
            .group_by(period).order_by(period)
        ).all())
    counts = {p: int(n) for p, n in counts.items()}
    if not counts:
        return []
    keys = sorted(counts)
    if until is not None:
        last = (until - timedelta(days=until.weekday())).isoformat() if bucket == "week" else f"{until:%Y-%m}"
        keys.append(max(last, keys[-1]))
    periods = _fill_periods(keys, bucket)[-limit:]
    first_shown = periods[0]
    total = sum(n for p, n in counts.items() if p < first_shown)
    series = []
    for p in periods:
        total += counts.get(p, 0)
        series.append((p, counts.get(p, 0), total))
    return series


def period_label(period: str) -> str:
    """'2026-12-01' → 12月1日 (a week's Monday), '2026-12' → 2026年12月."""
    parts = [int(p) for p in period.split("-")]
    return f"{parts[1]}月{parts[2]}日" if len(parts) == 3 else f"{parts[0]}年{parts[1]}月"


def closure_rate_series(series, total: int) -> list[tuple[str, float, int]]:
    """The cumulative 销号率 (percent of all tasks) per period, labelled as people read dates."""
    return [(period_label(p), round(100.0 * cumulative / total, 1) if total else 0.0, cumulative)
            for p, _closed, cumulative in series]


def _fill_periods(keys: list[str], bucket: str) -> list[str]:
    if bucket == "week":
        start, end = date.fromisoformat(keys[0]), date.fromisoformat(keys[-1])
        return [(start + timedelta(weeks=i)).isoformat() for i in range((end - start).days // 7 + 1)]
    (y, m), (end_y, end_m) = map(int, keys[0].split("-")), map(int, keys[-1].split("-"))
    out = []
    while (y, m) <= (end_y, end_m):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


# --- the task list -------------------------------------------------------------------------------

@dataclass
class TaskFilters:
    review_id: int | None = None
    unit_id: int | None = None
    overall: bool = False  # the county-wide problems (no unit)
    status: str | None = None
    task_type: str | None = None
    overdue: bool = False
    level: int | None = None  # exact level; -1 means 督办 or above
    query: str = ""
    light: str | None = None  # red / yellow / green / closed, by lights.light_sql
    extension_pending: bool = False  # 待审批延期


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filtered_tasks(base, filters: TaskFilters, *, today: date, due_soon_days: int = 7):
    """Adds the list filters to `base` (a select(Task), e.g. access.visible_tasks(user))."""
    query = base
    if filters.review_id:
        query = query.where(Task.review_id == filters.review_id)
    if filters.overall:
        query = query.where(Task.unit_id.is_(None))
    elif filters.unit_id:
        query = query.where(Task.unit_id == filters.unit_id)
    if filters.status:
        query = query.where(Task.status == filters.status)
    if filters.task_type:
        query = query.where(Task.task_type == filters.task_type)
    if filters.overdue:
        query = query.where(overdue_sql(today))
    if filters.light in KEYS:
        query = query.where(light_sql(today, due_soon_days) == filters.light)
    if filters.extension_pending:
        query = query.where(Task.id.in_(select(ExtensionRequest.task_id)
                                        .where(ExtensionRequest.status == ExtensionStatus.REQUESTED)))
    if filters.level is not None:
        query = query.where(Task.escalation_level >= 1 if filters.level < 0
                            else Task.escalation_level == filters.level)
    text = filters.query.strip()
    if text:
        query = query.where(Task.problem_text.ilike(f"%{escape_like(text)}%", escape="\\"))
    return query


def in_ledger_order(query):
    """The list's order (newest review first, then the 整改台账's order), with what each row shows loaded."""
    return (query.options(joinedload(Task.unit), joinedload(Task.owner), joinedload(Task.review))
            .order_by(Task.review_id.desc(), Task.ledger_position, Task.id))


def active_units(session, scope=None) -> list[Unit]:
    """`scope`: access.unit_scope(user) (a select of Unit.id), or None for every unit."""
    query = select(Unit).where(Unit.merged_into_id.is_(None))
    if scope is not None:
        query = query.where(Unit.id.in_(scope))
    return list(session.scalars(query.order_by(Unit.name, Unit.id)))


def owner_choices(session, task: Task) -> list[User]:
    """Secretaries of the task's unit; the organization department's staff for county-wide problems."""
    if task.is_overall or task.unit_id is None:
        condition = and_(User.role == Role.ORG_DEPT, access.staff_covering(session, task.county_id))
    else:
        condition = and_(User.role == Role.SECRETARY, User.unit_id == task.unit_id)
    return list(session.scalars(select(User).where(condition, User.active.is_(True)).order_by(User.name, User.id)))
