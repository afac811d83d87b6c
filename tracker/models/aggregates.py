"""Task counts kept up to date by the database itself, read by the 工作台 instead of the task table.

Why triggers, not ORM events: tasks are also written by Core bulk statements (the escalation scan raises
escalation_level in sets, the importer inserts in sets, a unit merge moves tasks with one UPDATE). A
trigger sees every one of them, in the same transaction as the change, so the counts can never drift
whichever code path writes. SQLite gets row triggers; PostgreSQL statement triggers over transition
tables, so a bulk UPDATE of 100,000 rows costs one grouped upsert, not 100,000 of them.

A count row says: this many tasks of this unit and review are in this state. Everything that moves a
task's light with the calendar (its deadline day) is a key column, so 红/黄/绿 and 逾期 are derived at
read time for any `today` and no nightly job is needed. Closed tasks collapse to one row per unit, review
and level (their deadline and scan stage no longer matter).
"""
from datetime import date

from sqlalchemy import DDL, Date, Index, Integer, String, event, text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db
from tracker.models.enums import TaskStatus, TaskType
from tracker.models.task import Task

NO_UNIT = 0  # county-wide problems (task.unit_id NULL): NULL would defeat the unique key
NO_DEADLINE = date(9999, 12, 31)  # 长期坚持 without a date, and every closed task: never late, never due
# stage: what the scan has handled in the task's current cycle, as lights.light_sql reads notice_stage.
STAGE_NONE, STAGE_REMIND, STAGE_OVERDUE = 0, 1, 2
# Closure days are China Standard Time (no DST), the zone every county of this system is in; the trend
# for any other zone falls back to reading the tasks (services.aggregates.closure_counts).
CLOSURE_UTC_OFFSET_HOURS = 8

COUNT_KEY = ("grain", "unit_id", "review_id", "status", "level", "stage", "deadline", "ongoing")
# Every task is counted twice: by its deadline day (grain 0) and by its deadline's month (grain 1). A read
# for `today` takes whole months that lie entirely on one side of today…today+due_soon_days and days only
# inside the one or two months around them, so it reads ~100 units × (10 months + 30–60 days) rows
# rather than 100 × every deadline day in use (services.aggregates.grain_rows).
GRAIN_DAY, GRAIN_MONTH = 0, 1
CLOSURE_KEY = ("unit_id", "review_id", "closed_on")


class UnitTaskCount(db.Model):
    """How many tasks of a unit and review share one state; rows at zero are deleted by the trigger."""

    __tablename__ = "unit_task_count"

    grain: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # GRAIN_DAY / _MONTH
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    review_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(10), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    stage: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    deadline: Mapped[date] = mapped_column(Date, primary_key=True)
    ongoing: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # 1: 长期坚持
    n: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_unit_task_count_zero", "n", postgresql_where=text("n = 0"),
                            sqlite_where=text("n = 0")),)


class UnitClosureCount(db.Model):
    """已销号 tasks by unit, review and the (local) day they were closed: the 销号率 trend."""

    __tablename__ = "unit_closure_count"

    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    review_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    closed_on: Mapped[date] = mapped_column(Date, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_unit_closure_count_zero", "n", postgresql_where=text("n = 0"),
                            sqlite_where=text("n = 0")),)


# The task list's order (services.dashboard.in_ledger_order: newest review first, then the 整改台账's order)
# as an index, so a filtered list's first page reads ~50 rows in order instead of sorting every match
# (1.9 s for the open-overdue list at 10^6 tasks without it). Declared here, beside the other read-side
# structures, so that the migration of this module creates it.
LEDGER_ORDER_INDEX = Index("ix_task_ledger_order", Task.__table__.c.review_id.desc(),
                           Task.__table__.c.ledger_position, Task.__table__.c.id)


# --- the key of a task row, as SQL over a row alias (NEW / OLD in SQLite, a transition table in PG) ----

def _key(r: str, dialect: str, grain: int = GRAIN_DAY) -> list[str]:
    closed = f"{r}.status = '{TaskStatus.CLOSED}'"
    cycle = f"CAST({r}.reminder_cycle AS VARCHAR) || ':"

    def starts(prefix: str) -> str:  # LIKE 'x%' without a % sign: DDL strings go through %-formatting
        return f"substr({r}.notice_stage, 1, length({cycle}{prefix}')) = {cycle}{prefix}'"

    never = "'9999-12-31'" if dialect == "sqlite" else "DATE '9999-12-31'"
    day = f"{r}.deadline"
    if grain == GRAIN_MONTH:
        day = (f"date({r}.deadline, 'start of month')" if dialect == "sqlite"
               else f"CAST(date_trunc('month', {r}.deadline) AS DATE)")
    return [
        str(grain),
        f"coalesce({r}.unit_id, {NO_UNIT})",
        f"{r}.review_id",
        f"{r}.status",
        f"{r}.escalation_level",
        (f"CASE WHEN {closed} OR {r}.notice_stage IS NULL THEN {STAGE_NONE} "
         f"WHEN {starts('urge')} OR {starts('level')} THEN {STAGE_OVERDUE} "
         f"WHEN {starts('remind')} THEN {STAGE_REMIND} ELSE {STAGE_NONE} END"),
        f"CASE WHEN {closed} OR {r}.deadline IS NULL THEN {never} ELSE {day} END",
        f"CASE WHEN NOT ({closed}) AND {r}.task_type = '{TaskType.ONGOING}' THEN 1 ELSE 0 END",
    ]


GRAINS = (GRAIN_DAY, GRAIN_MONTH)


def _closure_key(r: str, dialect: str) -> list[str]:
    day = (f"date({r}.closed_at, '+{CLOSURE_UTC_OFFSET_HOURS} hours')" if dialect == "sqlite"
           else f"CAST({r}.closed_at + INTERVAL '{CLOSURE_UTC_OFFSET_HOURS} hours' AS DATE)")
    return [f"coalesce({r}.unit_id, {NO_UNIT})", f"{r}.review_id", day]


def _is_closure(r: str) -> str:
    return f"{r}.status = '{TaskStatus.CLOSED}' AND {r}.closed_at IS NOT NULL"


# Columns whose change can move a task to another count row: an UPDATE of none of them fires nothing.
KEY_COLUMNS = ("unit_id", "review_id", "status", "escalation_level", "notice_stage", "reminder_cycle",
               "deadline", "task_type", "closed_at")


def _sqlite_add(r: str, sign: int) -> list[str]:
    cols, ccols = ", ".join(COUNT_KEY), ", ".join(CLOSURE_KEY)
    if sign > 0:
        return [
            *[(f"INSERT INTO unit_task_count ({cols}, n) VALUES ({', '.join(_key(r, 'sqlite', g))}, 1) "
               f"ON CONFLICT ({cols}) DO UPDATE SET n = n + 1") for g in GRAINS],
            (f"INSERT INTO unit_closure_count ({ccols}, n) SELECT {', '.join(_closure_key(r, 'sqlite'))}, 1 "
             f"WHERE {_is_closure(r)} ON CONFLICT ({ccols}) DO UPDATE SET n = n + 1"),
        ]
    return [
        *[f"UPDATE unit_task_count SET n = n - 1 WHERE ({cols}) = ({', '.join(_key(r, 'sqlite', g))})"
          for g in GRAINS],
        "DELETE FROM unit_task_count WHERE n = 0",
        (f"UPDATE unit_closure_count SET n = n - 1 WHERE {_is_closure(r)} "
         f"AND ({ccols}) = ({', '.join(_closure_key(r, 'sqlite'))})"),
        "DELETE FROM unit_closure_count WHERE n = 0",
    ]


def _sqlite_triggers() -> list[str]:
    def trigger(name: str, event_sql: str, body: list[str], when: str = "") -> str:
        return (f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {event_sql} ON task {when}BEGIN "
                + "; ".join(body) + "; END")

    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in KEY_COLUMNS)
    return [
        trigger("task_counts_insert", "INSERT", _sqlite_add("NEW", 1)),
        trigger("task_counts_delete", "DELETE", _sqlite_add("OLD", -1)),
        trigger("task_counts_update", f"UPDATE OF {', '.join(KEY_COLUMNS)}",
                _sqlite_add("OLD", -1) + _sqlite_add("NEW", 1), when=f"WHEN {changed} "),
    ]


def _pg_apply(sources: list[tuple[str, int]]) -> str:
    """One grouped upsert of the net change per key, then the rows that reached zero go."""
    cols, ccols = ", ".join(COUNT_KEY), ", ".join(CLOSURE_KEY)
    counts = " UNION ALL ".join(f"SELECT {', '.join(_key('r', 'postgresql', g))}, {sign} FROM {table} r"
                                for table, sign in sources for g in GRAINS)
    closures = " UNION ALL ".join(
        f"SELECT {', '.join(_closure_key('r', 'postgresql'))}, {sign} FROM {table} r WHERE {_is_closure('r')}"
        for table, sign in sources)
    return (
        f"INSERT INTO unit_task_count AS c ({cols}, n) SELECT {cols}, sum(d) FROM "
        f"(SELECT * FROM ({counts}) AS x ({cols}, d)) AS y GROUP BY {cols} HAVING sum(d) <> 0 ORDER BY {cols} "
        f"ON CONFLICT ({cols}) DO UPDATE SET n = c.n + EXCLUDED.n; "
        f"DELETE FROM unit_task_count WHERE n = 0; "
        f"INSERT INTO unit_closure_count AS c ({ccols}, n) SELECT {ccols}, sum(d) FROM "
        f"(SELECT * FROM ({closures}) AS x ({ccols}, d)) AS y GROUP BY {ccols} HAVING sum(d) <> 0 "
        f"ORDER BY {ccols} ON CONFLICT ({ccols}) DO UPDATE SET n = c.n + EXCLUDED.n; "
        f"DELETE FROM unit_closure_count WHERE n = 0;"
    )


def _pg_triggers() -> list[str]:
    function = (
        "CREATE OR REPLACE FUNCTION tracker_task_counts() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN "
        f"IF TG_OP = 'INSERT' THEN {_pg_apply([('new_rows', 1)])} "
        f"ELSIF TG_OP = 'DELETE' THEN {_pg_apply([('old_rows', -1)])} "
        f"ELSE {_pg_apply([('old_rows', -1), ('new_rows', 1)])} END IF; "
        "RETURN NULL; END $body$"
    )
    out = [function]
    for name, event_sql, refs in (
        ("task_counts_insert", "INSERT", "NEW TABLE AS new_rows"),
        ("task_counts_delete", "DELETE", "OLD TABLE AS old_rows"),
        ("task_counts_update", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ):
        out.append(f"CREATE OR REPLACE TRIGGER {name} AFTER {event_sql} ON task REFERENCING {refs} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION tracker_task_counts()")
    return out


def trigger_ddl(dialect: str) -> list[str]:
    """The statements that create the triggers on `dialect` (also run by the migration)."""
    return _sqlite_triggers() if dialect == "sqlite" else _pg_triggers()


def drop_trigger_ddl(dialect: str) -> list[str]:
    names = ("task_counts_insert", "task_counts_delete", "task_counts_update")
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {n}" for n in names]
    return [f"DROP TRIGGER IF EXISTS {n} ON task" for n in names] + [
        "DROP FUNCTION IF EXISTS tracker_task_counts()"]


def _escape(statement: str) -> str:
    return statement.replace("%", "%%")  # DDL() applies %-formatting


# create_all (tests, `tracker init`) gets the same triggers as the migration: after every table exists.
for _dialect in ("sqlite", "postgresql"):
    for _statement in trigger_ddl(_dialect):
        event.listen(db.metadata, "after_create", DDL(_escape(_statement)).execute_if(dialect=_dialect))
