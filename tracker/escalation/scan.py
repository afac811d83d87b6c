"""The scan job: due notices and level changes are read from data, written one page at a time.

It reads open tasks with next_check_at <= now through ix_task_next_check in pages of PAGE_SIZE, decides
each with rules.decide, and writes each page's outbox rows, in-app notices, audited level changes and
next check moments in one transaction (all or nothing for that page). No timer per task: a task nobody
needs to look at costs nothing until its next_check_at.
"""
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from tracker.escalation.acknowledgement import ack_url
from tracker.escalation.calendar import WorkCalendar, rest_day_note
from tracker.escalation import unit_check
from tracker.escalation.texts import short_text, task_link
from tracker.escalation.rules import (
    Milestone,
    decide,
    effective_policy,
    in_sending_window,
)
from tracker.mail.outbox import (
    Draft,
    draft_email,
    enqueue_drafts,
    store_drafts,
)
from tracker.models import EscalationLevel, Task, TaskStatus
from tracker.models.notify import OutboxStatus, SkippedNotice
from tracker.models.types import utcnow
from tracker.proposals import day_mails
from tracker.proposals import service as proposals
from tracker.proposals.recipients import Staff
from tracker.services import audit, bulk, keys
from tracker.services.leases import lease, touch_lease
from tracker.settings import settings
from tracker.timeutil import cn_date, local_date, local_datetime

PAGE_SIZE = 2000  # tasks per transaction: fewer round trips; tracemalloc peak 29 MB for a page of 1,000


@dataclass
class Recipients(Staff):
    """Staff plus the settings' install-wide contact addresses; a task's notice takes for_county(its county)."""

    org_contact: str = ""
    discipline_contact: str = ""

    @classmethod
    def load(cls, session, current) -> "Recipients":
        return cls(*Staff.read(session), org_contact=current.org_dept_email,
                   discipline_contact=current.discipline_email)

    def org_addresses(self) -> list[str]:
        return [self.org_contact, *(u.email for u in self.org_users if u.email)]

    def discipline_addresses(self) -> list[str]:
        return [self.discipline_contact, *(u.email for u in self.discipline_users if u.email)]


@dataclass
class ScanResult:
    checked: int = 0
    notices: int = 0
    skipped: int = 0
    level_changes: int = 0
    units: int = 0
    mails: int = 0
    keys: list = field(default_factory=list)

    def merge(self, other: "ScanResult") -> None:
        for name in ("checked", "notices", "skipped", "level_changes", "units", "mails"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.keys += other.keys


def notice_key(task: Task, rule: str) -> str:
    return keys.task_notice(task.id, task.reminder_cycle, rule)


OVERALL_LABEL = "全县共性问题"

SUBJECTS = {
    "remind": "【提醒】{unit}：整改任务将于{deadline}到期",
    "remind-0": "【提醒】{unit}：整改任务今天（{deadline}）到期",
    "urge": "【催办】{unit}：整改任务已超过整改时限（{deadline}）",
    "level1": "【督办】{unit}：整改任务逾期{overdue}个工作日",
    "level2": "【约谈建议】{unit}：整改任务逾期{overdue}个工作日",
    "level3": "【通报建议】{unit}：整改任务逾期{overdue}个工作日",
    "ongoing": "【进展报告提醒】{unit}：请报送{month}整改进展",
}


def task_draft(task: Task, milestone: Milestone, *, key: str, today, recipients: Recipients,
               calendar: WorkCalendar, delegated: bool = False) -> Draft:
    """`delegated`: the notice a proposal's mail carries; kept as a row (its key, the outbox page) but never
    sent, so it has no HTML body and no 签收 link."""
    family = milestone.family
    # County-wide problems have no unit; the organization department owns them, but they are not its own.
    unit_name = task.unit.name if task.unit is not None else OVERALL_LABEL
    overdue = calendar.workdays_between(task.deadline, today) if task.deadline else 0
    month = f"{milestone.due_on.year}年{milestone.due_on.month}月"
    context = {
        "kind": family, "label": milestone.label, "task_id": task.id, "unit_name": unit_name,
        "owner_name": task.owner.name if task.owner else "", "problem_text": task.problem_text,
        "problem_short": short_text(task.problem_text), "task_type": task.task_type,
        "deadline": cn_date(task.deadline) if task.deadline else "",
        "deadline_note": rest_day_note(task.deadline, calendar), "today": cn_date(today),
        "workdays_left": int(milestone.rule.split("-")[1]) if family == "remind" else None,
        "overdue_workdays": overdue, "level": milestone.level, "month": month,
        "level_label": EscalationLevel.LABELS.get(milestone.level, ""),
        "task_url": task_link(task.id), "ack_url": "" if delegated else ack_url(key),
    }
    workdays_left = context["workdays_left"]
    # The deadline day says 今天到期, not "整改时限前0个工作日".
    context["due_text"] = ("今天到期" if workdays_left == 0 else
                           f"距整改时限还有{workdays_left}个工作日" if workdays_left is not None else "")
    subject = SUBJECTS["remind-0"] if workdays_left == 0 else SUBJECTS[family]
    context["subject"] = subject.format(unit=unit_name, deadline=context["deadline"], overdue=overdue,
                                        month=month) + f"：{context['problem_short']}"
    owner = [task.owner] if task.owner is not None else []
    recipients = recipients.for_county(task.county_id)
    if family in ("remind", "ongoing"):
        to_users, to, cc = owner, [], []
    elif family == "urge":
        to_users, to, cc = owner, [], recipients.org_addresses()
    elif family == "level1":
        to_users, to, cc = owner + recipients.org_users, [], [recipients.org_contact]
    else:  # 约谈 / 通报 proposed: the organization department, the discipline commission in copy
        to_users = recipients.org_users + recipients.discipline_users
        to, cc = [recipients.org_contact], recipients.discipline_addresses()
    # The owner is the notice's main recipient while it is addressed to them (tracker.mail.reach).
    main_user = task.owner if family in ("remind", "ongoing", "urge", "level1") else None
    return draft_email(key=key, kind=f"task_{family}", template="task_notice", context=context,
                       to_users=to_users, to_addresses=to, cc_addresses=cc, task_id=task.id, unit_id=task.unit_id,
                       main_user=main_user, html=not delegated)


FIRST = (-1, 0)  # the cursor before every page: (owner key, task id)


def _owner_key():
    return func.coalesce(Task.owner_id, 0)


def due_tasks_query(now: datetime, after: tuple[int, int] = FIRST, limit: int | None = None):
    """Due tasks in owner order: a secretary's due tasks land in one page (two at a page boundary), so
    their per-person proposal grows, and its reason is written, once per scan instead of once per page
    (issue 10: ~4,000 proposals rewritten on each of 15 pages). Reads the due rows of ix_task_next_check
    only; the sort is over those."""
    owner_key = _owner_key()
    return (select(Task).where(Task.next_check_at <= now, tuple_(owner_key, Task.id) > tuple_(*after))
            .order_by(owner_key, Task.id).limit(limit or PAGE_SIZE)
            .options(selectinload(Task.owner), selectinload(Task.unit)))


class Scanner:
    """One scan at `now`, in steps that each fit one transaction: a page of due tasks, then the units.

    Each step takes the scan lease row first (a concurrent scan waits for our commit, then no longer sees
    the tasks we moved on) and writes its notices, level changes, audits and next_check_at together.
    The caller commits after each step, or rolls the step back: then nothing of that step remains.
    """

    def __init__(self, session, *, now: datetime, holder: str = "scan"):
        current = settings()
        self.session, self.now, self.holder = session, now, holder
        self.tz = current.timezone
        self.notice_hour, self.notice_end_hour = current.notice_hour, current.notice_end_hour
        self.today = local_date(now, self.tz)
        self.calendar = WorkCalendar.load(session)
        self.sending_now = in_sending_window(local_datetime(now, self.tz), self.notice_hour, self.notice_end_hour,
                                             self.calendar)
        self.due_units: set[int] = set()  # units with a due task in this scan: the unit check looks at these

    def page(self, after: tuple[int, int] = FIRST) -> tuple[ScanResult, tuple[int, int] | None]:
        """Scans the next page of due tasks after the cursor `after`: (its result, the cursor after it, or
        None when done).

        In sets: the page with its owners and units (three reads), the pure decisions, then the proposals,
        skipped notices, audit rows, outbox rows and in-app notices of the whole page in a fixed number
        of statements, whatever the page's size."""
        session, result = self.session, ScanResult()
        touch_lease(session, "scan", self.holder, self.now)  # row lock: a concurrent scan waits for our commit
        tasks = session.scalars(due_tasks_query(self.now, after)).all()
        if not tasks:
            return result, None
        step = _Step(session, Recipients.load(session, settings()), result)
        decided = []
        for task in tasks:
            result.checked += 1
            decision = self._decide(task, step)
            if decision is not None:
                decided.append((task, decision))
                if task.unit_id is not None:
                    self.due_units.add(task.unit_id)
        # 约谈 / 通报 are proposed per milestone reached in this cycle, not per level change: after an
        # approved 延期 a task already at 约谈 that runs late again is proposed again (once per cycle).
        reached = [(task, m.level) for task, d in decided for m in [*d.skipped, d.send]
                   if m is not None and m.level >= EscalationLevel.TALK]
        batch = proposals.propose_reached(session, reached, self.now, calendar=self.calendar,
                                          recipients=step.recipients, mail=False)  # mailed by units()
        step.drafts += batch.drafts
        for task, decision in decided:
            self._apply(task, decision, step, batch.carried)
        step.tasks = tasks
        step.store(self.now, self.today)
        return result, (tasks[-1].owner_id or 0, tasks[-1].id)

    def units(self) -> ScanResult:
        """The scan's last step: the person proposals' mails of the day (tracker.proposals.day_mails), then
        the unit overdue check: on working days in the sending window, at most once per local day, over
        the units that had a due task in this scan."""
        session, result = self.session, ScanResult()
        touch_lease(session, "scan", self.holder, self.now)
        step = _Step(session, Recipients.load(session, settings()), result)
        for drafts in day_mails.scan_mails(session, self.now, recipients=step.recipients, holder=self.holder):
            step.enqueue(drafts, self.now, self.today)  # stored before the next chunk is rendered
        done = lease(session, UNIT_CHECK_LEASE) if self.sending_now else None
        if self.sending_now and (done is None or local_date(done.heartbeat_at, self.tz) != self.today):
            touch_lease(session, UNIT_CHECK_LEASE, self.holder, self.now)  # rolled back with the step on failure
            unit_check.scan_units(session, now=self.now, today=self.today, step=step, unit_ids=self.due_units,
                                  calendar=self.calendar)
        step.store(self.now, self.today)
        return result

    def _decide(self, task: Task, step: "_Step"):
        if task.status == TaskStatus.CLOSED:
            step.change(task, next_check_at=None)  # 销号 stops every notice
            return None
        if task.status == TaskStatus.AWAITING_VERIFICATION:
            # Parked while the organization department verifies: its delay is no reason to escalate. 退回
            # sets next_check_at again (tracker.services.workflow).
            step.change(task, next_check_at=None)
            return None
        policy = effective_policy(task.policy, settings().rules)
        return decide(task_type=task.task_type, deadline=task.deadline, start=local_date(task.created_at, self.tz),
                      level=task.escalation_level, cycle=task.reminder_cycle, stage=task.notice_stage,
                      policy=policy, now=self.now, notice_hour=self.notice_hour, calendar=self.calendar, tz=self.tz,
                      cycle_start=task.cycle_started_on, notice_end_hour=self.notice_end_hour)

    def _apply(self, task: Task, decision, step: "_Step", carried: dict) -> None:
        now, result = self.now, step.result
        for milestone in decision.stale:
            step.skip(task, milestone, now, f"本轮提醒自{cn_date(task.cycle_started_on)}开始，此前的节点不再补发")
        for milestone in decision.skipped:
            step.skip(task, milestone, now, f"补发时已有更高一级通知（{decision.send.label}）")
        if decision.new_level > task.escalation_level:  # levels only rise while a task is open
            step.audits.append(audit.row(actor=None, now=now, action="escalate", entity=task,
                                         field="escalation_level", before=task.escalation_level,
                                         after=decision.new_level,
                                         note=f"逾期升级为{EscalationLevel.LABELS[decision.new_level]}"))
            step.change(task, escalation_level=decision.new_level)
            result.level_changes += 1
        if decision.send is not None:
            key = notice_key(task, decision.send.rule)
            delegated = carried.get((task.id, decision.send.level)) is not None
            draft = task_draft(task, decision.send, key=key, today=self.today, recipients=step.recipients,
                               calendar=self.calendar, delegated=delegated)
            if delegated:
                step.delegated.append(draft)  # the proposal's own mail is this notice
            elif draft.mailable or draft.users:
                step.drafts.append(draft)
                if task.owner is not None and task.owner in draft.users:
                    # Only a notice the owner received (with its 签收 link) awaits the owner's 签收.
                    step.change(task, last_notice_at=now, last_notice_key=key)
            else:
                step.skip(task, decision.send, now, "无收件人：未设责任人且无邮箱", key=key)
            result.notices += 1
        step.change(task, notice_stage=decision.stage, next_check_at=decision.next_check_at)


UNIT_CHECK_LEASE = "scan-units"


@dataclass
class _Step:
    """What one transaction of the scan has drafted, stored at its end."""

    session: object
    recipients: Recipients
    result: ScanResult
    drafts: list = field(default_factory=list)
    delegated: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    audits: list = field(default_factory=list)
    changes: dict = field(default_factory=dict)  # task id → the columns the scan sets on it
    tasks: list = field(default_factory=list)  # the page's loaded tasks, given the same values

    def change(self, task: Task, **values) -> None:
        self.changes.setdefault(task.id, {}).update(values)

    def skip(self, task: Task, milestone: Milestone, now: datetime, reason: str, key: str | None = None) -> None:
        self.skipped.append({"task_id": task.id, "key": key or notice_key(task, milestone.rule),
                             "rule": milestone.rule, "due_on": milestone.due_on, "reason": reason, "at": now})
        self.result.skipped += 1

    def store(self, now: datetime, today) -> None:
        session = self.session
        _write_changes(session, self.changes, self.tasks)
        if self.skipped:
            bulk.insert_rows(session, SkippedNotice.__table__, self.skipped)
        audit.record_many(session, self.audits)
        for draft in self.delegated:
            draft.users, draft.main_user = [], None  # the proposal's own mail gives these people their notice
        store_drafts(session, self.delegated, now, status=OutboxStatus.DELEGATED, keep_row=True)
        self.enqueue(self.drafts, now, today)
        self.result.keys += [d.key for d in self.delegated]

    def enqueue(self, drafts: list, now: datetime, today) -> None:
        stored = enqueue_drafts(self.session, drafts, now, today_text=cn_date(today))
        self.result.mails += len([row for row in stored if row is not None])
        self.result.keys += [d.key for d in drafts]


def _write_changes(session, changes: dict, tasks) -> None:
    """The page's task changes in one statement per set of changed columns (tracker.services.bulk); the
    loaded objects get the same values as committed state, so nothing reloads them or writes them again."""
    if not changes:
        return
    stamp = utcnow()
    bulk.update_by_id(session, Task.__table__, [{"id": task_id, **values} for task_id, values in changes.items()],
                      extra={"updated_at": stamp})
    for task in tasks:
        for name, value in changes.get(task.id, {}).items():
            set_committed_value(task, name, value)
        if task.id in changes:
            set_committed_value(task, "updated_at", stamp)
