"""What is due for one task at one moment: a pure function of deadline, policy, calendar and `now`.

A task's notices in one reminder cycle are milestones on working days:
    remind-5, remind-2, remind-0 (提醒), urge (催办), level1 (督办), level2 (约谈), level3 (通报)
and, for 长期坚持 tasks, one progress-report reminder a month. The task remembers the most advanced
milestone handled in its cycle (Task.notice_stage); a scan sends the most advanced milestone due since
then and records the ones it jumped over (a scheduler back after days sends one notice, not a flood).
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from tracker.models import TaskType
from tracker.escalation.calendar import WorkCalendar
from tracker.timeutil import at_local, local_datetime
from tracker.services import keys


RULE_LABELS = {"remind": "提醒", "urge": "催办", "level1": "督办", "level2": "约谈", "level3": "通报",
               "ongoing": "进展报告提醒"}


@dataclass(frozen=True)
class Milestone:
    rule: str  # remind-5 / urge / level1 / ongoing-2026-04 ...
    due_on: date
    level: int = 0  # escalation level this milestone raises the task to

    @property
    def family(self) -> str:
        return self.rule.split("-", 1)[0]

    @property
    def label(self) -> str:
        return RULE_LABELS[self.family]


@dataclass
class Decision:
    send: Milestone | None
    skipped: list[Milestone]  # jumped over by a more advanced notice sent now
    new_level: int
    stage: str | None
    next_check_at: datetime | None
    # Dated before the current cycle began (a task returned or reopened after its old deadline): never
    # sent and never raising the level, only recorded.
    stale: list[Milestone] = field(default_factory=list)


def effective_policy(policy: dict | None, config_rules: dict) -> dict:
    """The task's snapshot wins; keys it lacks (older snapshots) come from the configured rules."""
    return {**config_rules, **(policy or {})}


def deadline_milestones(deadline: date, policy: dict, calendar: WorkCalendar) -> list[Milestone]:
    items = [Milestone(f"remind-{n}", calendar.before(deadline, int(n)))
             for n in sorted({int(n) for n in policy["remind_before_workdays"]}, reverse=True)]
    items.append(Milestone("urge", calendar.after(deadline, max(1, int(policy["overdue_urge_after_workdays"])))))
    for level in (1, 2, 3):
        items.append(Milestone(f"level{level}", calendar.after(deadline, int(policy[f"level{level}_after_workdays"])),
                               level))
    # Stable order by date: two milestones on one day keep the ladder's order (the later is more advanced).
    return sorted(items, key=lambda m: m.due_on)


def ongoing_milestones(start: date, until: date, policy: dict, calendar: WorkCalendar) -> list[Milestone]:
    """First working day of every n-th month after the task's start, up to `until` (plus the next one)."""
    every = max(1, int(policy.get("ongoing_report_every_months") or 1))
    year, month = start.year, start.month
    items = []
    while True:
        month += every
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
        first = calendar.on_or_after(date(year, month, 1))
        items.append(Milestone(f"ongoing-{year:04d}-{month:02d}", first))
        if first > until:
            return items


def _stage_index(milestones: list[Milestone], stage: str | None, cycle: int) -> int:
    """Index of the last handled milestone in this cycle, -1 if none."""
    parsed = keys.parse_stage(stage)
    if parsed is None or parsed.cycle != str(cycle):
        return -1
    rule = parsed.rule
    for index, milestone in enumerate(milestones):
        if milestone.rule == rule:
            return index
    if rule.startswith("ongoing-"):  # months are ordered by their text
        return max((i for i, m in enumerate(milestones) if m.rule <= rule), default=-1)
    return -1


def in_sending_window(local_now: datetime, notice_hour: int, notice_end_hour: int, calendar: WorkCalendar) -> bool:
    """Notices go out on a working day between NOTICE_HOUR and NOTICE_END_HOUR, never at night."""
    return calendar.is_workday(local_now.date()) and notice_hour <= local_now.hour < notice_end_hour


def decide(*, task_type: str, deadline: date | None, start: date, level: int, cycle: int, stage: str | None,
           policy: dict, now: datetime, notice_hour: int, calendar: WorkCalendar, tz: str | None = None,
           cycle_start: date | None = None, notice_end_hour: int = 24) -> Decision:
    local_now = local_datetime(now, tz)
    today = local_now.date()
    if task_type == TaskType.ONGOING:
        milestones = ongoing_milestones(start, today, policy, calendar)
    elif deadline is not None:
        milestones = deadline_milestones(deadline, policy, calendar)
    else:
        return Decision(None, [], level, stage, None)
    pending = milestones[_stage_index(milestones, stage, cycle) + 1:]
    # Milestones are sorted by date, so those before the cycle's start are a prefix: handled, never sent.
    stale = [m for m in pending if cycle_start is not None and m.due_on < cycle_start]
    rest = pending[len(stale):]
    sending_now = in_sending_window(local_now, notice_hour, notice_end_hour, calendar)
    due = [m for m in rest if m.due_on <= today] if sending_now else []
    send = due[-1] if due else None
    new_level = max([level, *(m.level for m in due)])
    handled = (stale + due)[-1:]
    new_stage = keys.stage(cycle, handled[0].rule) if handled else stage
    next_check = _next_check(rest[len(due):], today, local_now.hour, notice_hour, notice_end_hour, calendar, tz)
    return Decision(send, due[:-1], new_level, new_stage, next_check, stale)


def _next_check(remaining: list[Milestone], today: date, hour: int, notice_hour: int, notice_end_hour: int,
                calendar: WorkCalendar, tz: str | None) -> datetime | None:
    if not remaining:
        return None
    day = remaining[0].due_on
    if day <= today:
        # Due already but not a sending moment (a rest day, before NOTICE_HOUR or after NOTICE_END_HOUR):
        # the next working morning — today's, if it is a working day and still before NOTICE_HOUR.
        before_window = calendar.is_workday(today) and hour < notice_hour
        day = today if before_window else calendar.on_or_after(today + timedelta(days=1))
    return at_local(day, notice_hour, tz)
