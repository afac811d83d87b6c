"""Weekly digests (part 8): to the organization department, per unit — open, overdue, levels, reminded but
not acknowledged; to each secretary, their unit's open tasks. Outbox rows like every other notice.

Schedule `tracker.escalation.digest.enqueue_weekly_digests(session, now)` once a week (Monday at NOTICE_HOUR);
keys are per recipient per ISO week, so running it twice in a week, or in parallel, adds nothing. A
recipient with nothing open gets no digest: never an empty mail.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import joinedload

from tracker.mail import reach
from tracker.models import EscalationLevel, Role, Task, TaskStatus, TaskType, Unit, User
from tracker.models.notify import PhoneRelay
from tracker.models.proposals import Proposal, ProposalKind, ProposalStatus
from tracker.proposals import owner as proposal_owner
from tracker.proposals.visibility import owner_level_label
from tracker.services import access, keys
from tracker.services.lights import light_for
from tracker.settings import settings
from tracker.timeutil import cn_date, local_date

MAX_TASKS_LISTED = 50  # a secretary's mail lists this many and counts the rest


@dataclass
class UnitLine:
    unit_name: str
    open: int
    overdue: int
    level1: int
    level2: int
    level3: int
    unacknowledged: int


def week_label(today: date) -> str:
    """The ISO week in keys (digest:org:2026-W51:…); never shown to people (see week_text)."""
    year, week, _ = today.isocalendar()
    return f"{year}-W{week:02d}"


def week_text(today: date) -> str:
    """The week as people say it: 2026年第51周（12月14日至12月20日）."""
    year, week, weekday = today.isocalendar()
    monday = today - timedelta(days=weekday - 1)
    sunday = monday + timedelta(days=6)
    return f"{year}年第{week}周（{cn_date(monday)}至{cn_date(sunday)}）"


def level_text(task, decisions: dict) -> str:
    """A task's escalation as its secretary reads it: the ladder up to 督办, and a 约谈 / 通报 only once
    people decided it (tracker.proposals.visibility) — never a proposal still weighed or dismissed."""
    decided = decisions.get(task.id)
    if decided:
        return "县委组织部已决定" + "、".join(d.text for d in decided)
    return owner_level_label(task.escalation_level)


def unit_summary(session, today: date, counties=None) -> list[UnitLine]:
    """One grouped query over open tasks: the organization department's table (of `counties` only, unless
    None: the whole install)."""
    # A task awaiting 销号 verification is not counted overdue: the unit has done its part.
    overdue = case((and_(Task.deadline < today, Task.task_type != TaskType.ONGOING,
                         Task.status.in_((TaskStatus.PENDING, TaskStatus.IN_PROGRESS))), 1), else_=0)
    unacknowledged = case((and_(Task.last_notice_at.is_not(None),
                                or_(Task.acknowledged_at.is_(None), Task.acknowledged_at < Task.last_notice_at)),
                           1), else_=0)

    def at_level(level: int):
        return func.sum(case((Task.escalation_level == level, 1), else_=0))

    rows = session.execute(
        select(Unit.name, func.count(Task.id), func.sum(overdue), at_level(EscalationLevel.SUPERVISION),
               at_level(EscalationLevel.TALK), at_level(EscalationLevel.CIRCULAR), func.sum(unacknowledged))
        .select_from(Task).outerjoin(Unit, Unit.id == Task.unit_id)
        .where(Task.status != TaskStatus.CLOSED, *_in_counties(Task.county_id, counties))
        .group_by(Task.unit_id, Unit.name)
        .order_by(func.sum(overdue).desc(), Unit.name)
    ).all()
    return [UnitLine(name or "全县共性问题", *(int(v or 0) for v in values)) for name, *values in rows]


def _in_counties(column, counties) -> list:
    return [] if counties is None else [column.in_(sorted(counties))]


def _pending_proposals(session, counties=None) -> dict[str, int]:
    query = select(Proposal.kind, func.count(Proposal.id)).where(Proposal.status == ProposalStatus.PENDING)
    if counties is not None:
        # A proposal's county is its unit's (the older per-task ones without a unit: their task's).
        query = (query.outerjoin(Unit, Unit.id == Proposal.unit_id).outerjoin(Task, Task.id == Proposal.task_id)
                 .where(func.coalesce(Unit.county_id, Task.county_id).in_(sorted(counties))))
    rows = session.execute(query.group_by(Proposal.kind)).all()
    counts = {kind.value: 0 for kind in ProposalKind}
    counts.update({kind: count for kind, count in rows})
    return counts


def _link(endpoint: str, fallback: str = "main.index", **values) -> str:
    from tracker.proposals.service import external_url

    if endpoint in current_app.view_functions:
        return external_url(endpoint, **values)
    return external_url(fallback)


def enqueue_weekly_digests(session, now: datetime) -> int:
    """Writes this ISO week's digests that are not written yet; returns how many outbox rows or in-app
    notices it added (0 on a second run in the same week)."""
    today = local_date(now, settings().timezone)
    week = week_label(today)
    return _org_digests(session, now, today, week) + _secretary_digests(session, now, today, week)


def _org_digests(session, now: datetime, today: date, week: str) -> int:
    """Each 组织部 account reads the counties it covers (its county, its city's or province's counties, all
    of them when install-wide); the settings' contact address the whole install. One digest per scope."""
    users = session.scalars(select(User).where(User.role == Role.ORG_DEPT, User.active.is_(True))
                            .order_by(User.id)).all()
    covering = access.ancestors_of_counties(session)
    by_scope: dict[int | None, list[User]] = {}
    for user in users:
        by_scope.setdefault(user.organization_id, []).append(user)
    added = 0
    for org_id, members in by_scope.items():
        counties = None if org_id is None else {c for c, chain in covering.items() if org_id in chain}
        context = _org_context(session, now, today, counties)
        if context is None:
            continue  # never an empty digest
        for user in members:
            added += _enqueue(session, now, key=keys.weekly_org_user(week, user.id),
                              template="digest_org", context=context, to_users=[user])
    contact = settings().org_dept_email
    if contact and contact.lower() not in {(u.email or "").lower() for u in users}:
        context = _org_context(session, now, today, None)
        if context is not None:
            added += _enqueue(session, now, key=keys.weekly_org_address(week, contact),
                              template="digest_org", context=context, to_addresses=[contact])
    return added


def _org_context(session, now: datetime, today: date, counties) -> dict | None:
    lines = unit_summary(session, today, counties)
    if not lines:
        return None
    totals = UnitLine("合计", *(sum(getattr(line, f) for line in lines)
                                for f in ("open", "overdue", "level1", "level2", "level3", "unacknowledged")))
    if counties is None:
        undelivered = reach.unreached_between(session, now - timedelta(days=7), now)
        waiting = reach.open_relays_count(session)
    else:
        undelivered, waiting = _relays_in(session, counties, now - timedelta(days=7), now)
    return {
        "subject": f"整改督办周报（{cn_date(today)}）：在办{totals.open}项，逾期{totals.overdue}项",
        # The worst units first (unit_summary's order), at most DIGEST_MAX_ITEMS of them: a province has
        # thousands, and the mail must stay small (the 工作台 has them all).
        "today": cn_date(today), "week": week_text(today), "lines": lines[:settings().digest_max_items],
        "more_units": max(0, len(lines) - settings().digest_max_items), "totals": totals,
        "pending": _pending_proposals(session, counties),
        "link": _link("org.dashboard"), "proposals_link": _link("proposals.proposals"),
        # Notices no channel delivered in the past week, and people still waiting for a call (issue 9).
        "undelivered": undelivered, "unreached_waiting": waiting, "phone_link": _link("reach.phone_list"),
    }


def _relays_in(session, counties, start, end) -> tuple[int, int]:
    """reach.unreached_between and reach.open_relays_count for the relays about these counties' tasks and
    units."""
    county = func.coalesce(Task.county_id, Unit.county_id)
    base = (select(PhoneRelay).outerjoin(Task, Task.id == PhoneRelay.task_id)
            .outerjoin(Unit, Unit.id == PhoneRelay.unit_id).where(county.in_(sorted(counties))).subquery())
    written = session.scalar(select(func.count()).select_from(base)
                             .where(base.c.created_at >= start, base.c.created_at < end)) or 0
    waiting = session.scalar(select(func.count(func.distinct(base.c.user_id)))
                             .where(base.c.called_at.is_(None))) or 0
    return written, waiting


def _secretary_digests(session, now: datetime, today: date, week: str) -> int:
    secretaries = session.scalars(
        select(User).where(User.role == Role.SECRETARY, User.active.is_(True), User.unit_id.is_not(None))
        .options(joinedload(User.unit)).order_by(User.unit_id, User.id)).all()
    by_unit: dict[int, list[User]] = {}
    for user in secretaries:
        by_unit.setdefault(user.unit_id, []).append(user)
    if not by_unit:
        return 0
    due_soon = settings().due_soon_days
    added = 0
    for unit_id, users in by_unit.items():
        tasks = session.scalars(
            select(Task).where(Task.unit_id == unit_id, Task.is_overall.is_(False), Task.status != TaskStatus.CLOSED)
            .order_by(Task.deadline.is_(None), Task.deadline, Task.id).limit(MAX_TASKS_LISTED + 1)).all()
        if not tasks:
            continue  # never an empty digest
        late = case((or_(Task.escalation_level >= EscalationLevel.SUPERVISION,
                         and_(Task.deadline < today, Task.task_type != TaskType.ONGOING)), 1), else_=0)
        total, red = session.execute(select(func.count(Task.id), func.sum(late)).where(
            Task.unit_id == unit_id, Task.is_overall.is_(False), Task.status != TaskStatus.CLOSED)).one()
        listed = []
        # A secretary reads the ladder up to 督办 and a decided 约谈/通报 only as what is asked of them.
        decided = proposal_owner.decisions_for_tasks(session, [t.id for t in tasks[:MAX_TASKS_LISTED]])
        for task in tasks[:MAX_TASKS_LISTED]:
            light = light_for(task, today, due_soon)
            listed.append({"problem_text": task.problem_text, "task_type": task.task_type, "status": task.status,
                           "deadline": cn_date(task.deadline) or "长期坚持", "light": light.label,
                           "days_text": light.days_text, "level": level_text(task, decided),
                           "asked": [d.owner_notice for d in decided.get(task.id, []) if d.owner_notice],
                           "link": _link("secretary.task", "secretary.tasks", task_id=task.id)})
        for user in users:
            context = {
                "subject": f"本周整改任务提醒（{cn_date(today)}）：{users[0].unit.name}在办{total}项",
                "user_name": user.name, "unit_name": user.unit.name, "today": cn_date(today), "week": week_text(today),
                "tasks": listed, "total": total, "more": max(0, total - len(listed)), "red": int(red or 0),
                "link": _link("secretary.tasks"),
            }
            added += _enqueue(session, now, key=keys.weekly_secretary(week, user.id),
                              template="digest_secretary", context=context, to_users=[user])
    return added


def _enqueue(session, now, *, key: str, template: str, context: dict, to_users=(), to_addresses=()) -> int:
    from tracker.mail.outbox import enqueue_email, existing_keys

    if existing_keys(session, [key]):
        return 0
    row = enqueue_email(session, key=key, kind="weekly_digest", template=template, context=context, now=now,
                        to_users=to_users, to_addresses=to_addresses)
    # A user without an email still gets the in-app notice, so a digest for a user always counts.
    return 1 if row is not None or to_users else 0
