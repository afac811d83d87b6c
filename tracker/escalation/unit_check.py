"""The scan's unit check: a unit with N or more overdue open tasks is proposed for 约谈 as a unit, once a
month (tracker.escalation.scan runs it as its last step, over the units that had a due task)."""
from dataclasses import dataclass

from sqlalchemy import func, select, text, true

from tracker.escalation.calendar import WorkCalendar
from tracker.mail.outbox import draft_email, existing_keys
from tracker.models import Task, TaskStatus, TaskType, Unit
from tracker.models.aggregates import NO_UNIT, UnitTaskCount
from tracker.models.task import OPEN_STATUS_SQL
from tracker.proposals import service as proposals
from tracker.services import keys
from tracker.services.aggregates import grain_rows
from tracker.escalation.texts import short_text, task_link
from tracker.settings import settings
from tracker.timeutil import cn_date


@dataclass(frozen=True)
class _Late:
    """An open overdue task as a unit proposal lists it."""

    id: int
    unit_id: int
    problem_text: str
    deadline: object
    escalation_level: int
    closed_at: None = None
    is_closed: bool = False


def _overdue_counts(session, today, threshold: int, unit_ids) -> dict[int, int]:
    """Unit id → its open overdue tasks (待整改/整改中, past the deadline, not 长期坚持), for the units with at
    least `threshold`; county-wide problems (no unit) are not a unit's."""
    C = UnitTaskCount
    where = [grain_rows(today, 0), C.status.in_(OPEN), C.deadline < today,
             C.ongoing == 0, C.unit_id != NO_UNIT]
    if unit_ids is not None:
        where.append(C.unit_id.in_(sorted(unit_ids)))
    return {unit_id: int(n) for unit_id, n in session.execute(
        select(C.unit_id, func.sum(C.n)).where(*where).group_by(C.unit_id).having(func.sum(C.n) >= threshold))}


# 待销号审核 tasks wait for the organization department, not for the unit: they do not count.
OPEN = (TaskStatus.PENDING, TaskStatus.IN_PROGRESS)


def _most_overdue(session, today, unit_ids: list[int]):
    """The columns a unit proposal lists (not ORM objects): each unit's UNIT_PROPOSAL_MAX_TASKS most overdue
    open tasks. On PostgreSQL a LATERAL per unit over ix_task_unit_open_deadline stops after that many rows
    (a window over every overdue task of the units read 266,000 rows at 10^6 tasks); SQLite, a county,
    numbers them with a window function."""
    limit = proposals.UNIT_PROPOSAL_MAX_TASKS
    columns = (Task.id, Task.unit_id, Task.problem_text, Task.deadline, Task.escalation_level)
    overdue = [Task.status.in_(OPEN), Task.deadline < today, Task.task_type != TaskType.ONGOING,
               Task.is_overall.is_(False)]
    if session.get_bind().dialect.name == "postgresql":
        each = (select(*columns).where(Task.unit_id == Unit.id, text(f"task.{OPEN_STATUS_SQL}"), *overdue)
                .order_by(Task.deadline, Task.id)
                .limit(limit).lateral("late"))
        return (select(*each.c).select_from(Unit).join(each, true()).where(Unit.id.in_(unit_ids))
                .order_by(each.c.deadline, each.c.id))
    ranked = (select(Task.id, func.row_number().over(partition_by=Task.unit_id, order_by=(Task.deadline, Task.id))
                     .label("n")).where(*overdue, Task.unit_id.in_(unit_ids)).subquery())
    return (select(*columns).join(ranked, ranked.c.id == Task.id).where(ranked.c.n <= limit)
            .order_by(Task.deadline, Task.id))


def scan_units(session, *, now, today, step, unit_ids=None, calendar: WorkCalendar | None = None) -> None:
    """A unit with N or more overdue open tasks is proposed for 约谈 as a unit, once a month.

    `step`: the scan's step (tracker.escalation.scan._Step) whose drafts and delegated lists get the mails.
    One GROUP BY over the maintained counts (tracker.models.aggregates: rows per unit, status and deadline
    day or month, so its cost does not grow with the years of tasks) of the units that had a due task in
    this scan (`unit_ids`; None: every unit), then
    only the most overdue tasks of the units to propose (UNIT_PROPOSAL_MAX_TASKS each, _most_overdue),
    never every overdue task as objects."""
    rules = settings().rules
    threshold = int(rules.get("unit_overdue_threshold", 3))
    if unit_ids is not None and not unit_ids:
        return
    counts = _overdue_counts(session, today, threshold, unit_ids)
    if not counts:
        return
    unit_keys = {unit_id: keys.unit_overdue_notice(unit_id, today) for unit_id in counts}
    taken = existing_keys(session, unit_keys.values())
    fresh = [unit_id for unit_id, key in unit_keys.items() if key not in taken]
    if not fresh:
        return
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(fresh)))}
    tasks_by_unit: dict[int, list[_Late]] = {}
    for row in session.execute(_most_overdue(session, today, fresh)):
        tasks_by_unit.setdefault(row.unit_id, []).append(_Late(*row))
    listed = settings().digest_max_items
    made = proposals.propose_for_units(
        session, [(units[unit_id], tasks_by_unit.get(unit_id, []), counts[unit_id]) for unit_id in fresh], now,
        calendar=calendar, drafts=step.drafts, users=step.recipients)
    for unit_id in fresh:
        unit, tasks = units[unit_id], tasks_by_unit.get(unit_id, [])
        recipients = step.recipients.for_county(unit.county_id)
        if unit_id not in made:
            # Already proposed this month, or an earlier proposal still waits for a decision: nothing new
            # to tell, and the month's key stays free for when that one is decided.
            continue
        context = {
            "subject": f"【约谈建议】{unit.name}：{counts[unit_id]}项整改任务逾期未完成", "unit_name": unit.name,
            "count": counts[unit_id], "threshold": threshold, "today": cn_date(today),
            "tasks": [{"problem_short": short_text(t.problem_text, 60), "deadline": cn_date(t.deadline),
                       "task_url": task_link(t.id)} for t in tasks[:listed]],
        }
        draft = draft_email(key=unit_keys[unit_id], kind="unit_overdue", template="unit_overdue", context=context,
                            to_users=recipients.org_users + recipients.discipline_users,
                            to_addresses=[recipients.org_contact], cc_addresses=recipients.discipline_addresses(),
                            unit_id=unit_id)
        step.delegated.append(draft)  # the unit proposal's own mail carries it
        step.result.units += 1

