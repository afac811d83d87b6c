"""The scan job: due notices and level changes are read from data, written in one transaction.

It reads open tasks with next_check_at <= now through ix_task_next_check (in pages), decides each with
rules.decide, and writes outbox rows, in-app notices, audited level changes and the next check moment
together. No timer per task: a task nobody needs to look at costs nothing until its next_check_at.
"""
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from tracker.models import EscalationLevel, Role, Task, TaskStatus, TaskType, Unit, User
from tracker.models.notify import OutboxMessage, OutboxStatus, SkippedNotice
from tracker.notify import hooks
from tracker.notify.acknowledgement import ack_url
from tracker.notify.calendar import WorkCalendar, rest_day_note
from tracker.notify.lock import touch_lease
from tracker.notify.outbox import Draft, draft_email, enqueue_drafts, existing_keys, store_draft
from tracker.notify.rules import Milestone, decide, effective_policy
from tracker.services import audit
from tracker.timeutil import cn_date, local_date, local_datetime

PAGE_SIZE = 500


@dataclass
class Recipients:
    org_users: list
    discipline_users: list
    org_contact: str
    discipline_contact: str

    @classmethod
    def load(cls, session, config) -> "Recipients":
        users = session.scalars(select(User).where(User.role.in_((Role.ORG_DEPT, Role.DISCIPLINE)),
                                                   User.active.is_(True)).order_by(User.id)).all()
        return cls([u for u in users if u.role == Role.ORG_DEPT], [u for u in users if u.role == Role.DISCIPLINE],
                   config.get("ORG_DEPT_CONTACT_EMAIL") or "", config.get("DISCIPLINE_CONTACT_EMAIL") or "")

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


def notice_key(task: Task, rule: str) -> str:
    return f"task:{task.id}:c{task.reminder_cycle}:{rule}"


def _short(text: str, limit: int = 40) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def task_link(task_id: int) -> str:
    return current_app.config.get("BASE_URL", "").rstrip("/") + f"/notify/go/task/{task_id}"


SUBJECTS = {
    "remind": "【提醒】{unit}：整改任务将于{deadline}到期",
    "urge": "【催办】{unit}：整改任务已超过整改时限（{deadline}）",
    "level1": "【督办】{unit}：整改任务逾期{overdue}个工作日",
    "level2": "【约谈建议】{unit}：整改任务逾期{overdue}个工作日",
    "level3": "【通报建议】{unit}：整改任务逾期{overdue}个工作日",
    "ongoing": "【进展报告提醒】{unit}：请报送{month}整改进展",
}


def task_draft(task: Task, milestone: Milestone, *, key: str, today, recipients: Recipients,
               calendar: WorkCalendar) -> Draft:
    family = milestone.family
    unit_name = task.unit.name if task.unit else "县委组织部"
    overdue = calendar.workdays_between(task.deadline, today) if task.deadline else 0
    month = f"{milestone.due_on.year}年{milestone.due_on.month}月"
    context = {
        "kind": family, "label": milestone.label, "task_id": task.id, "unit_name": unit_name,
        "owner_name": task.owner.name if task.owner else "", "problem_text": task.problem_text,
        "problem_short": _short(task.problem_text), "task_type": task.task_type,
        "deadline": cn_date(task.deadline) if task.deadline else "",
        "deadline_note": rest_day_note(task.deadline, calendar), "today": cn_date(today),
        "workdays_left": int(milestone.rule.split("-")[1]) if family == "remind" else None,
        "overdue_workdays": overdue, "level": milestone.level, "month": month,
        "level_label": EscalationLevel.LABELS.get(milestone.level, ""),
        "task_url": task_link(task.id), "ack_url": ack_url(key),
    }
    context["subject"] = SUBJECTS[family].format(unit=unit_name, deadline=context["deadline"], overdue=overdue,
                                                 month=month) + f"：{context['problem_short']}"
    owner = [task.owner] if task.owner is not None else []
    if family in ("remind", "ongoing"):
        to_users, to, cc = owner, [], []
    elif family == "urge":
        to_users, to, cc = owner, [], recipients.org_addresses()
    elif family == "level1":
        to_users, to, cc = owner + recipients.org_users, [], [recipients.org_contact]
    else:  # 约谈 / 通报 proposed: the organization department, the discipline commission in copy
        to_users = recipients.org_users + recipients.discipline_users
        to, cc = [recipients.org_contact], recipients.discipline_addresses()
    return draft_email(key=key, kind=f"task_{family}", template="task_notice", context=context,
                       to_users=to_users, to_addresses=to, cc_addresses=cc, task_id=task.id, unit_id=task.unit_id)


def due_tasks_query(now: datetime, after_id: int, limit: int = PAGE_SIZE):
    return (select(Task).where(Task.next_check_at <= now, Task.id > after_id).order_by(Task.id).limit(limit)
            .options(selectinload(Task.owner), selectinload(Task.unit)))


def run_scan(session, *, now: datetime, holder: str = "scan") -> ScanResult:
    """One scan at `now`. The caller commits (or rolls back: then nothing of it remains)."""
    config = current_app.config
    tz = config.get("TIMEZONE")
    touch_lease(session, "scan", holder, now)  # row lock: a concurrent scan waits for our commit
    calendar = WorkCalendar.load(session)
    recipients = Recipients.load(session, config)
    notice_hour = int(config.get("NOTICE_HOUR", 9))
    today = local_date(now, tz)
    result = ScanResult()
    drafts: list[Draft] = []
    delegated: list[Draft] = []
    last_id = 0
    while True:
        page = session.scalars(due_tasks_query(now, last_id)).all()
        if not page:
            break
        last_id = page[-1].id
        for task in page:
            result.checked += 1
            _scan_task(session, task, now=now, today=today, tz=tz, notice_hour=notice_hour, calendar=calendar,
                       recipients=recipients, drafts=drafts, delegated=delegated, result=result)
    local_now = local_datetime(now, tz)
    if calendar.is_workday(today) and local_now.hour >= notice_hour:
        _scan_units(session, now=now, today=today, recipients=recipients, drafts=drafts, delegated=delegated,
                    result=result)
    for draft in delegated:
        draft.users = []  # the proposal's own mail gives these people their in-app notice
        store_draft(session, draft, now, status=OutboxStatus.DELEGATED, keep_row=True)
    stored = enqueue_drafts(session, drafts, now, today_text=cn_date(today))
    result.mails = len([row for row in stored if row is not None])
    result.keys = [d.key for d in drafts + delegated]
    return result


def _scan_task(session, task: Task, *, now, today, tz, notice_hour, calendar, recipients, drafts, delegated,
               result) -> None:
    if task.status == TaskStatus.CLOSED:
        task.next_check_at = None  # 销号 stops every notice
        return
    policy = effective_policy(task.policy, current_app.config.get("ESCALATION_RULES", {}))
    decision = decide(task_type=task.task_type, deadline=task.deadline, start=local_date(task.created_at, tz),
                      level=task.escalation_level, cycle=task.reminder_cycle, stage=task.notice_stage,
                      policy=policy, now=now, notice_hour=notice_hour, calendar=calendar, tz=tz)
    for milestone in decision.skipped:
        session.add(SkippedNotice(task_id=task.id, key=notice_key(task, milestone.rule), rule=milestone.rule,
                                  due_on=milestone.due_on, reason=f"补发时已有更高一级通知（{decision.send.label}）",
                                  at=now))
        result.skipped += 1
    old_level = task.escalation_level
    proposal_mails = False
    if decision.new_level > old_level:  # levels only rise while a task is open
        audit.change(session, actor=None, now=now, entity=task, field="escalation_level", value=decision.new_level,
                     action="escalate", note=f"逾期升级为{EscalationLevel.LABELS[decision.new_level]}")
        result.level_changes += 1
        hooks.on_escalation(session, task, old_level, decision.new_level, now)
        proposal_mails = decision.new_level >= EscalationLevel.TALK and hooks.proposals_available()
    if decision.send is not None:
        key = notice_key(task, decision.send.rule)
        draft = task_draft(task, decision.send, key=key, today=today, recipients=recipients, calendar=calendar)
        if proposal_mails and decision.send.level >= EscalationLevel.TALK:
            delegated.append(draft)
        elif draft.mailable or draft.users:
            drafts.append(draft)
        else:
            session.add(SkippedNotice(task_id=task.id, key=key, rule=decision.send.rule, due_on=decision.send.due_on,
                                      reason="无收件人：未设责任人且无邮箱", at=now))
            result.skipped += 1
        task.last_notice_at = now
        task.last_notice_key = key
        result.notices += 1
    task.notice_stage = decision.stage
    task.next_check_at = decision.next_check_at


def _scan_units(session, *, now, today, recipients, drafts, delegated, result) -> None:
    """A unit with N or more overdue open tasks is proposed for 约谈 as a unit, once a month."""
    rules = current_app.config.get("ESCALATION_RULES", {})
    threshold = int(rules.get("unit_overdue_threshold", 3))
    overdue = (Task.status != TaskStatus.CLOSED, Task.task_type != TaskType.ONGOING, Task.deadline < today,
               Task.unit_id.is_not(None), Task.is_overall.is_(False))
    counts = dict(session.execute(select(Task.unit_id, func.count()).where(*overdue).group_by(Task.unit_id)
                                  .having(func.count() >= threshold)).all())
    if not counts:
        return
    month = f"{today.year:04d}-{today.month:02d}"
    keys = {unit_id: f"unit:{unit_id}:overdue:{month}" for unit_id in counts}
    taken = existing_keys(session, keys.values())
    fresh = [unit_id for unit_id, key in keys.items() if key not in taken]
    if not fresh:
        return
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(fresh)))}
    tasks_by_unit: dict[int, list[Task]] = {}
    for task in session.scalars(select(Task).where(*overdue, Task.unit_id.in_(fresh)).order_by(Task.deadline, Task.id)):
        tasks_by_unit.setdefault(task.unit_id, []).append(task)
    for unit_id in fresh:
        unit, tasks = units[unit_id], tasks_by_unit.get(unit_id, [])
        hooks.on_unit_overdue(session, unit, tasks, now)
        context = {
            "subject": f"【约谈建议】{unit.name}：{len(tasks)}项整改任务逾期未完成", "unit_name": unit.name,
            "count": len(tasks), "threshold": threshold, "today": cn_date(today),
            "tasks": [{"problem_short": _short(t.problem_text, 60), "deadline": cn_date(t.deadline),
                       "task_url": task_link(t.id)} for t in tasks],
        }
        draft = draft_email(key=keys[unit_id], kind="unit_overdue", template="unit_overdue", context=context,
                            to_users=recipients.org_users + recipients.discipline_users,
                            to_addresses=[recipients.org_contact], cc_addresses=recipients.discipline_addresses(),
                            unit_id=unit_id)
        (delegated if hooks.proposals_available() else drafts).append(draft)
        result.units += 1


def outbox_counts(session) -> dict[str, int]:
    return dict(session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
