"""约谈 / 通报 proposals: the scan proposes, the organization department decides or dismisses.

Idempotency. A task proposal is unique per (kind, task, reminder_cycle): an approved 延期 starts a new cycle,
and a task that runs late again in it may be proposed again. A unit proposal (问题较多、长期打不开局面) is
unique per (unit, calendar month in the county's zone), and none is made while an earlier one for the unit
is still 待决定: the overdue set changes daily, a monthly cadence keeps the same situation from being
proposed over and over. Both are enforced by a unique constraint and inserted with ON CONFLICT DO NOTHING,
so concurrent scans on PostgreSQL cannot propose twice either.

组织处理 is never proposed: record_org_handling() is its only writer and only the org department's form
calls it.
"""
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from tracker.escalation.calendar import WorkCalendar
from tracker.models import EscalationLevel, Role, Task, Unit, User
from tracker.models.proposals import (
    Proposal,
    ProposalKind,
    ProposalStatus,
    ProposalSubject,
    ProposalTask,
)
from tracker.proposals.dossier import days_overdue
from tracker.services import audit
from tracker.settings import settings
from tracker.timeutil import cn_date, local_date

LEVEL_KINDS = {EscalationLevel.TALK: ProposalKind.TALK, EscalationLevel.CIRCULAR: ProposalKind.CIRCULAR}
LEVEL_RULE_KEYS = {EscalationLevel.TALK: "level2_after_workdays", EscalationLevel.CIRCULAR: "level3_after_workdays"}
def _tz() -> str:
    return settings().timezone


def _short(text: str, limit: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit] + "…"


# --- proposing (called by the escalation scan) -------------------------------------------------------

def propose_for_task(session, task: Task, level: int, now: datetime,
                     calendar: WorkCalendar | None = None) -> Proposal | None:
    """Proposes 约谈 (level 2) or 通报 (level 3) for an overdue task, once per reminder cycle.

    Days overdue are working days on `calendar` (loaded from the holiday table when not given), as the
    escalation rules count them.

    Returns the new proposal, or None when there is nothing new: already proposed in this cycle, the task
    is closed, or it belongs to no unit (a county-wide task has no secretary to talk to).
    """
    if level not in LEVEL_KINDS:
        raise ValueError(f"only levels 2 (约谈) and 3 (通报) are proposed, not {level}")
    if task.is_closed or task.unit_id is None:
        return None
    kind = LEVEL_KINDS[level]
    today = local_date(now, _tz())
    late = days_overdue(task, today, calendar or WorkCalendar.load(session))
    threshold = (task.policy or {}).get(LEVEL_RULE_KEYS[level])
    beyond = f"（超过{threshold}个工作日）" if threshold else ""
    unit_name = task.unit.name if task.unit else ""
    reason = (f"{unit_name}的整改任务“{_short(task.problem_text)}”整改时限为{cn_date(task.deadline)}，"
              f"截至{cn_date(today)}已逾期{late}个工作日{beyond}，按规则建议{kind}。")
    proposal = _insert_once(session, kind=kind, subject=ProposalSubject.TASK, task_id=task.id,
                            unit_id=task.unit_id, scope_key=f"task:{task.id}:c{task.reminder_cycle}",
                            reminder_cycle=task.reminder_cycle, source_level=level, reason=reason, now=now)
    if proposal is None:
        return None
    session.add(ProposalTask(proposal=proposal, task_id=task.id, deadline=task.deadline, days_overdue=late,
                             level=task.escalation_level))
    _after_create(session, proposal, now)
    return proposal


def proposal_for_milestone(session, task: Task, level: int, now: datetime) -> Proposal | None:
    """The proposal that carries a 约谈 (level 2) / 通报 (level 3) milestone of the task's current cycle: the
    one just made, or the one made earlier in this cycle and still 待决定. None (a county-wide task, a
    proposal already decided) means the scan mails the notice itself."""
    if level < EscalationLevel.TALK:
        return None
    proposal = propose_for_task(session, task, level, now)
    if proposal is not None:
        return proposal
    return session.scalar(select(Proposal).where(
        Proposal.kind == LEVEL_KINDS[level], Proposal.scope_key == f"task:{task.id}:c{task.reminder_cycle}",
        Proposal.status == ProposalStatus.PENDING))


def propose_for_unit(session, unit: Unit, tasks, now: datetime,
                     calendar: WorkCalendar | None = None) -> Proposal | None:
    """Proposes a unit-level 约谈 of the unit's secretary for its overdue `tasks`, at most once a month.

    Returns None when the unit was already proposed this calendar month, or still has one 待决定.
    """
    tasks = [t for t in tasks if not t.is_closed]
    if not tasks:
        return None
    waiting = session.scalar(select(Proposal.id).where(
        Proposal.subject == ProposalSubject.UNIT, Proposal.unit_id == unit.id,
        Proposal.status == ProposalStatus.PENDING).limit(1))
    if waiting is not None:
        return None
    today = local_date(now, _tz())
    threshold = settings().rules["unit_overdue_threshold"]
    reason = (f"{unit.name}截至{cn_date(today)}有{len(tasks)}项整改任务逾期未完成（达到{threshold}项），"
              f"问题较多、长期打不开局面，按规则建议对该单位主要负责同志进行约谈。")
    proposal = _insert_once(session, kind=ProposalKind.TALK, subject=ProposalSubject.UNIT, task_id=None,
                            unit_id=unit.id, scope_key=f"unit:{unit.id}:{today:%Y-%m}", reminder_cycle=None,
                            source_level=max(t.escalation_level for t in tasks), reason=reason, now=now)
    if proposal is None:
        return None
    calendar = calendar or WorkCalendar.load(session)
    for task in sorted(tasks, key=lambda t: (t.deadline or today, t.id)):
        session.add(ProposalTask(proposal=proposal, task_id=task.id, deadline=task.deadline,
                                 days_overdue=days_overdue(task, today, calendar),
                                 level=task.escalation_level))
    _after_create(session, proposal, now)
    return proposal


def _insert_once(session, *, now: datetime, **values) -> Proposal | None:
    """INSERT … ON CONFLICT DO NOTHING: a concurrent scan that proposed the same thing wins quietly."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise RuntimeError(f"unsupported database: {dialect}")
    statement = (insert(Proposal)
                 .values(status=ProposalStatus.PENDING, created_at=now, **values)
                 .on_conflict_do_nothing(index_elements=["kind", "scope_key"])
                 .returning(Proposal.id))
    new_id = session.execute(statement).scalar_one_or_none()
    return session.get(Proposal, new_id) if new_id is not None else None


def _after_create(session, proposal: Proposal, now: datetime) -> None:
    session.flush()
    audit.record(session, actor=None, now=now, action="propose", entity=proposal, field="status",
                 after=proposal.status, note=proposal.reason)
    _notify_created(session, proposal, now)


def external_url(endpoint: str, **values) -> str:
    """An absolute link for mails, built from BASE_URL (no request is running in the scheduler)."""
    base = settings().base_url
    return base + current_app.url_map.bind("localhost").build(endpoint, values)


def _notify_created(session, proposal: Proposal, now: datetime) -> None:
    """Mails the organization department and the discipline commission, in the proposal's transaction."""
    from tracker.mail.outbox import enqueue_notice

    users = session.scalars(select(User).where(User.role.in_((Role.ORG_DEPT, Role.DISCIPLINE)),
                                               User.active.is_(True)).order_by(User.id)).all()
    addresses = [settings().org_dept_email, settings().discipline_email]
    today = local_date(now, _tz())
    unit_name = proposal.unit.name if proposal.unit else ""
    tasks = [{"problem_text": link.task.problem_text, "deadline": cn_date(link.deadline),
              "days_overdue": link.days_overdue} for link in proposal.tasks]
    if proposal.subject == ProposalSubject.UNIT:
        subject = f"【{proposal.kind}建议】{unit_name}：{len(tasks)}项整改任务逾期未完成"
    else:
        subject = f"【{proposal.kind}建议】{unit_name}：{_short(tasks[0]['problem_text'], 40)}"
    context = {
        "subject": subject,
        "kind": proposal.kind, "unit_name": unit_name, "subject_label": proposal.subject_label,
        "reason": proposal.reason, "tasks": tasks, "today": cn_date(today),
        "link": external_url("proposals.proposal", proposal_id=proposal.id),
    }
    # Counts toward each address's one mail per day: it joins the day's digest with the scan's notices.
    enqueue_notice(session, key=f"proposal:{proposal.id}", kind=f"proposal_{proposal.subject}",
                  template="proposal_created", context=context, now=now, to_users=users,
                  to_addresses=[a for a in addresses if a], task_id=proposal.task_id, unit_id=proposal.unit_id)
