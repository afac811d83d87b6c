"""What is due for one task at one moment: a pure function of deadline, policy, calendar and `now`.

A task's notices in one reminder cycle are milestones on working days:
    remind-5, remind-2, remind-0 (提醒), urge (催办), level1 (督办), level2 (约谈), level3 (通报)
and, for 长期坚持 tasks, one progress-report reminder a month. The task remembers the most advanced
milestone handled in its cycle (Task.notice_stage); a scan sends the most advanced milestone due since
then and records the ones it jumped over (a scheduler back after days sends one notice, not a flood).
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from config import Config
from tracker.models import TaskType
from tracker.notify.calendar import WorkCalendar
from tracker.timeutil import at_local, local_datetime

# config.py is the one source of the rules; these fill keys an old snapshot or a partial config lacks.
DEFAULT_RULES = Config.ESCALATION_RULES

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
    skipped: list[Milestone]
    new_level: int
    stage: str | None
    next_check_at: datetime | None


def effective_policy(policy: dict | None, config_rules: dict) -> dict:
    """The task's snapshot wins; keys it lacks (older snapshots) come from config, then defaults."""
    return {**DEFAULT_RULES, **(config_rules or {}), **(policy or {})}


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
    if not stage:
        return -1
    stage_cycle, _, rule = stage.partition(":")
    if stage_cycle != str(cycle):
        return -1
    for index, milestone in enumerate(milestones):
        if milestone.rule == rule:
            return index
    if rule.startswith("ongoing-"):  # months are ordered by their text
        return max((i for i, m in enumerate(milestones) if m.rule <= rule), default=-1)
    return -1


def decide(*, task_type: str, deadline: date | None, start: date, level: int, cycle: int, stage: str | None,
           policy: dict, now: datetime, notice_hour: int, calendar: WorkCalendar, tz: str | None = None) -> Decision:
    local_now = local_datetime(now, tz)
    today = local_now.date()
    if task_type == TaskType.ONGOING:
        milestones = ongoing_milestones(start, today, policy, calendar)
    elif deadline is not None:
        milestones = deadline_milestones(deadline, policy, calendar)
    else:
        return Decision(None, [], level, stage, None)
    handled = _stage_index(milestones, stage, cycle)
    # Notices go out on a working day from NOTICE_HOUR on; anything else waits for the next such moment.
    sending_now = calendar.is_workday(today) and local_now.hour >= notice_hour
    due = [m for m in milestones[handled + 1:] if m.due_on <= today] if sending_now else []
    send = due[-1] if due else None
    new_level = max([level, *(m.level for m in due)])
    new_stage = f"{cycle}:{send.rule}" if send else stage
    remaining = milestones[handled + 1 + len(due):]
    next_check = _next_check(remaining, today, local_now.hour, notice_hour, calendar, tz)
    return Decision(send, due[:-1], new_level, new_stage, next_check)


def _next_check(remaining: list[Milestone], today: date, hour: int, notice_hour: int, calendar: WorkCalendar,
                tz: str | None) -> datetime | None:
    if not remaining:
        return None
    day = remaining[0].due_on
    # Due already but not a sending moment (a rest day, or before NOTICE_HOUR): the next working morning.
    if day < today or (day == today and hour >= notice_hour):
        day = today + timedelta(days=1) if (day < today and not calendar.is_workday(today)) or hour >= notice_hour \
            else today
        day = calendar.on_or_after(day)
    return at_local(day, notice_hour, tz)
