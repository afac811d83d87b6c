"""约谈 / 通报 proposed per person: one proposal per secretary (or, for tasks without one, per unit) and kind,
listing every task of theirs that reached the rule, with tasks added while it waits for a decision.

Written for a scan page at a time: whatever the number of tasks, a call issues a fixed number of statements
(the links already made, the pending proposals, one multi-row INSERT of new proposals, one of links, the
audit rows, the drafts of the mails). A task reaches a rule once per reminder cycle: its link key
"<kind>:task:<id>:c<cycle>" is unique in proposal_task, so a second scan (or a concurrent one) adds nothing.

The mail: a new proposal mails the organization department and the discipline commission once
(proposal:<id>); tasks added later are told at most once a day per proposal (proposal:<id>:add:<day>),
and both join each address's one mail of the day.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from tracker.escalation.calendar import WorkCalendar
from tracker.models import EscalationLevel, Task, TaskStatus, Unit
from tracker.models.proposals import (
    Proposal,
    ProposalKind,
    ProposalStatus,
    ProposalSubject,
    ProposalTask,
)
from tracker.proposals.recipients import Staff, proposal_county
from tracker.services import audit, bulk, keys
from tracker.settings import settings
from tracker.timeutil import cn_date, local_date

LEVEL_KINDS = {EscalationLevel.TALK: ProposalKind.TALK, EscalationLevel.CIRCULAR: ProposalKind.CIRCULAR}
LEVEL_RULE_KEYS = {EscalationLevel.TALK: "level2_after_workdays", EscalationLevel.CIRCULAR: "level3_after_workdays"}


_LOADS = (selectinload(Proposal.unit), selectinload(Proposal.owner))


def link_key(kind: str, task_id: int, cycle: int) -> str:
    return f"{kind}:task:{task_id}:c{cycle}"


def person_scope(owner_id: int | None, unit_id: int, day: date, n: int = 1) -> str:
    who = str(owner_id) if owner_id is not None else f"u{unit_id}"
    return f"person:{who}:{day:%Y-%m}" + (f"-{n}" if n > 1 else "")


def short(text: str, limit: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit] + "…"


def reach_word(value: int, threshold) -> str:
    """达到 at the threshold, 超过 beyond it: "逾期10个工作日" is not "超过10个工作日"."""
    return "达到" if threshold is not None and int(value) == int(threshold) else "超过"


@dataclass
class Line:
    task_id: int
    problem_text: str
    deadline: date | None
    days_overdue: int
    threshold: int | None


@dataclass
class Batch:
    """What one call proposed: pending proposals by (task id, level), and the mails to enqueue."""

    carried: dict = field(default_factory=dict)
    added: dict = field(default_factory=dict)  # (task id, level) → proposal, only the tasks added now
    drafts: list = field(default_factory=list)


def propose_reached(session, reached, now: datetime, *, calendar: WorkCalendar | None = None,
                    recipients=None, mail: bool = True) -> Batch:
    """`reached`: (task, level) pairs, level 2 (约谈) or 3 (通报). Each open task with a unit lands in its
    person's pending proposal of that kind (made now if none waits). Returns a Batch: `carried` maps every
    (task id, level) a pending proposal carries to it (the scan delegates those notices to the proposal's
    mail); `drafts` are the proposal mails, for the caller to enqueue with its own notices. `mail=False`
    (the scan's pages): none, tracker.proposals.day_mails drafts them once at the end of the scan."""
    batch = Batch()
    items = [(t, lvl) for t, lvl in reached if lvl in LEVEL_KINDS and not t.is_closed and t.unit_id is not None]
    if not items:
        return batch
    today = local_date(now, settings().timezone)
    calendar = calendar or WorkCalendar.load(session)
    wanted = {link_key(LEVEL_KINDS[lvl], t.id, t.reminder_cycle): (t, lvl) for t, lvl in items}
    done = _already_linked(session, wanted)
    for key, proposal in done.items():
        t, lvl = wanted[key]
        if proposal.status == ProposalStatus.PENDING:
            batch.carried[(t.id, lvl)] = proposal
    fresh = [(t, lvl) for key, (t, lvl) in wanted.items() if key not in done]
    if not fresh:
        return batch
    groups: dict[tuple, list] = defaultdict(list)
    for t, lvl in fresh:
        groups[(LEVEL_KINDS[lvl], t.owner_id, t.unit_id if t.owner_id is None else None)].append((t, lvl))
    pending = _pending_for(session, groups)
    created = _create(session, [g for g in groups if g not in pending], groups, now, today)
    pending.update(created)
    links = []
    for group, members in groups.items():
        proposal = pending.get(group)
        if proposal is None:
            continue  # pragma: no cover - _create always returns one per group
        for t, lvl in members:
            links.append({"proposal_id": proposal.id, "task_id": t.id, "deadline": t.deadline,
                          "days_overdue": _late(t, today, calendar), "level": t.escalation_level,
                          "link_key": link_key(LEVEL_KINDS[lvl], t.id, t.reminder_cycle), "added_at": now})
            batch.carried[(t.id, lvl)] = proposal
    touched = {p.id: p for p in pending.values()}
    inserted = _insert_links(session, links, touched.values())
    # A task already listed (an earlier cycle) stays listed once: carried, not added again.
    new_by_proposal: dict[int, list[int]] = defaultdict(list)
    for row in links:
        if row["link_key"] in inserted:
            batch.added[(row["task_id"], _level_of(row["link_key"]))] = touched[row["proposal_id"]]
            new_by_proposal[row["proposal_id"]].append(row["task_id"])
    created_ids = {p.id for p in created.values()}
    grown = {pid for pid in touched if pid in created_ids or new_by_proposal.get(pid)}
    lines, totals = _lines(session, {pid: touched[pid] for pid in grown})
    # A proposal grown again later the same day is told once that day: its add mail is not drafted again.
    add_keys = {pid: f"proposal:{pid}:add:{today.isoformat()}" for pid in grown if pid not in created_ids}
    told = _taken_keys(session, add_keys.values()) if mail else set()
    events, recipients, reasons = [], recipients or _recipients(session), []
    for pid in sorted(grown):
        proposal, its, total = touched[pid], lines.get(pid, []), totals.get(pid, 0)
        reason = person_reason(proposal, its, today, total=total)
        reasons.append({"proposal_id": pid, "reason": reason})
        set_committed_value(proposal, "reason", reason)
        new_ids = new_by_proposal.get(pid, [])
        if pid in created_ids:
            events.append(audit.row(actor=None, now=now, action="propose", entity=proposal, field="status",
                                    after=proposal.status, note=reason))
            if mail:
                batch.drafts.append(proposal_draft(proposal, its, today, recipients, key=f"proposal:{pid}",
                                                   total=total))
        else:
            events.append(audit.row(actor=None, now=now, action="propose_add", entity=proposal, field="tasks",
                                    before=str(total - len(new_ids)), after=str(total),
                                    note=f"新增{len(new_ids)}项达到{proposal.kind}标准的整改任务"))
            if mail and add_keys[pid] not in told:
                batch.drafts.append(proposal_draft(proposal, its, today, recipients, added=len(new_ids),
                                                   key=add_keys[pid], total=total))
    if reasons:
        table = Proposal.__table__
        session.execute(update(table).where(table.c.id == bindparam("proposal_id"))
                        .values(reason=bindparam("reason")), reasons)
    audit.record_many(session, events)
    return batch


def _level_of(key: str) -> int:
    return EscalationLevel.TALK if key.startswith(ProposalKind.TALK.value) else EscalationLevel.CIRCULAR


def _late(task: Task, today: date, calendar: WorkCalendar) -> int:
    return calendar.workdays_between(task.deadline, today) if task.deadline else 0


def _already_linked(session, wanted: dict) -> dict:
    """Link key → the proposal that carries it: per-person links, and the older one-task proposals."""
    found = {}
    rows = session.execute(select(ProposalTask.link_key, Proposal).join(Proposal, Proposal.id == ProposalTask.proposal_id)
                           .where(ProposalTask.link_key.in_(list(wanted)))).all()
    found.update({key: proposal for key, proposal in rows})
    legacy = {keys.task_proposal_scope(t.id, t.reminder_cycle) + "|" + LEVEL_KINDS[lvl]: key
              for key, (t, lvl) in wanted.items() if key not in found}
    if legacy:
        scopes = {k.split("|")[0] for k in legacy}
        for proposal in session.scalars(select(Proposal).where(Proposal.scope_key.in_(scopes))):
            key = legacy.get(f"{proposal.scope_key}|{proposal.kind}")
            if key is not None:
                found[key] = proposal
    return found


def _pending_for(session, groups) -> dict:
    owners = {owner for _, owner, _ in groups if owner is not None}
    units = {unit for _, owner, unit in groups if owner is None}
    condition = []
    if owners:
        condition.append(Proposal.owner_id.in_(owners))
    if units:
        condition.append((Proposal.owner_id.is_(None)) & Proposal.unit_id.in_(units))
    rows = session.scalars(select(Proposal).where(
        Proposal.subject == ProposalSubject.PERSON, Proposal.status == ProposalStatus.PENDING,
        Proposal.kind.in_({kind for kind, _, _ in groups}), or_(*condition)).order_by(Proposal.id)
        .options(*_LOADS)).all()
    pending = {}
    for proposal in rows:  # the oldest pending one keeps growing
        group = (proposal.kind, proposal.owner_id, proposal.unit_id if proposal.owner_id is None else None)
        pending.setdefault(group, proposal)
    return pending


def _create(session, missing, groups, now: datetime, today: date) -> dict:
    """One multi-row INSERT … ON CONFLICT DO NOTHING; a scope taken this month (decided already, or made by
    a concurrent scan) is retried with the next suffix, or joined when that one still waits."""
    created, todo, n = {}, list(missing), 1
    while todo:
        values = []
        for group in todo:
            kind, owner_id, _ = group
            first = groups[group][0][0]
            values.append({"kind": kind, "subject": ProposalSubject.PERSON, "task_id": first.id,
                           "unit_id": first.unit_id, "owner_id": owner_id, "reminder_cycle": None,
                           "scope_key": person_scope(owner_id, first.unit_id, today, n),
                           "source_level": max(lvl for _, lvl in groups[group]), "reason": "",
                           "status": ProposalStatus.PENDING, "created_at": now})
        # executemany form (batched by insertmanyvalues, compiled once), not one huge VALUES list.
        statement = (_insert(session, Proposal).on_conflict_do_nothing(index_elements=["kind", "scope_key"])
                     .returning(Proposal.id, Proposal.kind, Proposal.scope_key))
        made = {(kind, scope): pid for pid, kind, scope in session.execute(statement, values)}
        loaded = {p.id: p for p in session.scalars(select(Proposal).where(Proposal.id.in_(list(made.values())))
                                                   .options(*_LOADS))} if made else {}
        retry = []
        for group, row in zip(todo, values):
            pid = made.get((row["kind"], row["scope_key"]))
            if pid is not None:
                created[group] = loaded[pid]
                continue
            other = session.scalar(select(Proposal).where(Proposal.kind == row["kind"],
                                                          Proposal.scope_key == row["scope_key"]))
            if other is not None and other.status == ProposalStatus.PENDING:
                created[group] = other  # a concurrent scan made it: join it
            else:
                retry.append(group)
        todo, n = retry, n + 1
    return created


def _insert(session, model):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise RuntimeError(f"unsupported database: {dialect}")
    return insert(model)


def _insert_links(session, links: list[dict], proposals) -> set[str]:
    if not links:
        return set()
    # Any conflict: the link key (a concurrent scan) or (proposal, task) (listed in an earlier cycle).
    inserted = {row.link_key for row in bulk.insert_rows(session, ProposalTask.__table__, links, skip_conflicts=True,
                                                         returning=[ProposalTask.__table__.c.link_key])}
    for proposal in proposals:
        if "tasks" in proposal.__dict__:
            session.expire(proposal, ["tasks"])  # the rows came in through Core
    return inserted


def _lines(session, proposals: dict) -> tuple[dict[int, list[Line]], dict[int, int]]:
    """Each proposal's first DIGEST_MAX_ITEMS lines (all a reason or a mail lists) and its number of
    tasks: two reads, bounded per proposal however long it has grown."""
    if not proposals:
        return {}, {}
    ids = list(proposals)
    totals = dict(session.execute(select(ProposalTask.proposal_id, func.count())
                                  .where(ProposalTask.proposal_id.in_(ids)).group_by(ProposalTask.proposal_id)).all())
    ranked = (select(ProposalTask.id, func.row_number().over(partition_by=ProposalTask.proposal_id,
                                                              order_by=ProposalTask.id).label("n"))
              .where(ProposalTask.proposal_id.in_(ids)).subquery())
    rows = session.execute(
        select(ProposalTask.proposal_id, ProposalTask.task_id, Task.problem_text, ProposalTask.deadline,
               ProposalTask.days_overdue, Task.policy)
        .join(ranked, ranked.c.id == ProposalTask.id).join(Task, Task.id == ProposalTask.task_id)
        .where(ranked.c.n <= settings().digest_max_items)
        .order_by(ProposalTask.proposal_id, ProposalTask.id)).all()
    lines: dict[int, list[Line]] = defaultdict(list)
    for pid, task_id, text, deadline, late, policy in rows:
        rule = LEVEL_RULE_KEYS[EscalationLevel.TALK if proposals[pid].kind == ProposalKind.TALK
                               else EscalationLevel.CIRCULAR]
        threshold = (policy or {}).get(rule, settings().rules.get(rule))
        lines[pid].append(Line(task_id, text, deadline, late, threshold))
    return lines, totals


def _taken_keys(session, wanted) -> set[str]:
    from tracker.mail.outbox import existing_keys

    return existing_keys(session, wanted)


def person_reason(proposal: Proposal, lines: list[Line], today: date, total: int | None = None) -> str:
    """`lines`: the first DIGEST_MAX_ITEMS at least; `total`: how many the proposal lists in all."""
    unit_name = proposal.unit.name if proposal.unit else ""
    total = len(lines) if total is None else total
    if total == 1 and lines:
        line = lines[0]
        beyond = f"（{reach_word(line.days_overdue, line.threshold)}{line.threshold}个工作日）" if line.threshold else ""
        return (f"{unit_name}的整改任务“{short(line.problem_text)}”整改时限为{cn_date(line.deadline)}，"
                f"截至{cn_date(today)}已逾期{line.days_overdue}个工作日{beyond}，按规则建议{proposal.kind}。")
    who = f"{unit_name}{proposal.owner.name}" if proposal.owner is not None else unit_name
    limit = settings().digest_max_items
    parts = [f"{i}.“{short(line.problem_text, 40)}”（整改时限{cn_date(line.deadline)}，已逾期{line.days_overdue}个工作日）"
             for i, line in enumerate(lines[:limit], 1)]
    more = f"；另有{total - limit}项" if total > limit else ""
    threshold = lines[0].threshold if lines else None
    rule = f"逾期{threshold}个工作日及以上" if threshold else "逾期"
    return (f"{who}名下有{total}项整改任务截至{cn_date(today)}已{rule}，按规则建议{proposal.kind}："
            + "；".join(parts) + more + "。")


def _recipients(session) -> Staff:
    return Staff.load(session)


def proposal_draft(proposal: Proposal, lines: list[Line], today: date, users, *, key: str, added: int = 0,
                   total: int | None = None):
    """The proposal's mail to the organization department and the discipline commission, listing at most
    DIGEST_MAX_ITEMS tasks (the rest counted, all of them on the linked page). `total`: the number of tasks
    when `lines` holds only the first ones."""
    from tracker.mail.outbox import draft_email

    if isinstance(users, Staff):
        users = users.for_county(proposal_county(proposal)).users
    unit_name = proposal.unit.name if proposal.unit else ""
    limit = settings().digest_max_items
    total = len(lines) if total is None else total
    tasks = [{"problem_text": line.problem_text, "deadline": cn_date(line.deadline), "days_overdue": line.days_overdue}
             for line in lines[:limit]]
    if added:
        subject = f"【{proposal.kind}建议】{unit_name}：新增{added}项，共{total}项整改任务"
    elif total == 1 and lines:
        subject = f"【{proposal.kind}建议】{unit_name}：{short(lines[0].problem_text, 40)}"
    else:
        who = f"（{proposal.owner.name}）" if proposal.owner is not None else ""
        subject = f"【{proposal.kind}建议】{unit_name}{who}：{total}项整改任务"
    context = {"subject": subject, "kind": proposal.kind, "unit_name": unit_name,
               "subject_label": proposal.subject_label, "reason": proposal.reason, "tasks": tasks,
               "more": max(0, total - limit), "today": cn_date(today),
               "link": external_url("proposals.proposal", proposal_id=proposal.id)}
    current = settings()
    addresses = [a for a in (current.org_dept_email, current.discipline_email) if a]
    return draft_email(key=key, kind=f"proposal_{proposal.subject}", template="proposal_created", context=context,
                       to_users=users, to_addresses=addresses, task_id=proposal.task_id, unit_id=proposal.unit_id)


def external_url(endpoint: str, **values) -> str:
    """An absolute link for mails, built from BASE_URL (no request is running in the scheduler)."""
    from flask import current_app

    return settings().base_url + current_app.url_map.bind("localhost").build(endpoint, values)


def resolve_closed(session, task: Task, now: datetime) -> list[Proposal]:
    """After a 销号: every pending proposal listing this task whose tasks are now all closed becomes
    已整改 (resolved_on: today in the county's zone), audited as the system's doing."""
    session.flush()
    proposals = session.scalars(select(Proposal).join(ProposalTask, ProposalTask.proposal_id == Proposal.id).where(
        ProposalTask.task_id == task.id, Proposal.status == ProposalStatus.PENDING)).all()
    if not proposals:
        return []
    still_open = dict(session.execute(
        select(ProposalTask.proposal_id, func.count()).join(Task, Task.id == ProposalTask.task_id)
        .where(ProposalTask.proposal_id.in_([p.id for p in proposals]), Task.status != TaskStatus.CLOSED)
        .group_by(ProposalTask.proposal_id)).all())
    resolved = []
    today = local_date(now, settings().timezone)
    for proposal in proposals:
        if still_open.get(proposal.id):
            continue
        proposal.resolved_on = today
        audit.change(session, actor=None, now=now, entity=proposal, field="status", value=ProposalStatus.RESOLVED,
                     action="resolve", note=f"所列整改任务已全部销号（{cn_date(today)}），建议自动办结为已整改")
        resolved.append(proposal)
    return resolved


__all__ = [
    "Batch",
    "Staff",
    "Unit",
    "link_key",
    "person_reason",
    "person_scope",
    "proposal_draft",
    "propose_reached",
    "reach_word",
    "resolve_closed",
]
