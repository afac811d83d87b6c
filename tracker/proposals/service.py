"""约谈 / 通报 proposals: the scan proposes, the organization department decides or dismisses.

Idempotency. Tasks that reach 约谈 / 通报 go into their secretary's pending proposal of that kind, one per
person per month (tracker.proposals.per_person): a task is listed once per (kind, task, reminder_cycle)
(proposal_task.link_key is unique), and a proposal whose tasks are all 销号 becomes 已整改 by itself. A unit
proposal (问题较多、长期打不开局面) is unique per (unit, calendar month in the county's zone), and none is made
while an earlier one for the unit is still 待决定: the overdue set changes daily, a monthly cadence keeps
the same situation from being proposed over and over. All are enforced by unique constraints and inserted
with ON CONFLICT DO NOTHING, so concurrent scans on PostgreSQL cannot propose twice either.

组织处理 is never proposed: record_org_handling() is its only writer and only the org department's form
calls it.
"""
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.escalation.calendar import WorkCalendar
from tracker.models import EscalationLevel, Task, Unit
from tracker.models.proposals import (
    Proposal,
    ProposalKind,
    ProposalStatus,
    ProposalSubject,
    ProposalTask,
)
from tracker.proposals import per_person
from tracker.proposals.overdue import days_overdue
from tracker.services import audit, bulk, keys
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
# Tasks that reach 约谈 / 通报 are proposed per person (tracker.proposals.per_person); the scan calls
# propose_reached once per page. propose_for_task is the same for one task.

def propose_for_task(session, task: Task, level: int, now: datetime,
                     calendar: WorkCalendar | None = None) -> Proposal | None:
    """Puts an overdue task into its secretary's pending 约谈 (level 2) / 通报 (level 3) proposal, made
    now if none waits; once per task, kind and reminder cycle. Mails as the scan does.

    Returns the proposal the task was added to, or None when there is nothing new: already proposed in
    this cycle, the task is closed, or it belongs to no unit (a county-wide task has no secretary)."""
    if level not in LEVEL_KINDS:
        raise ValueError(f"only levels 2 (约谈) and 3 (通报) are proposed, not {level}")
    batch = per_person.propose_reached(session, [(task, level)], now, calendar=calendar)
    _enqueue(session, batch.drafts, now)
    return batch.added.get((task.id, level))


def proposal_for_milestone(session, task: Task, level: int, now: datetime) -> Proposal | None:
    """The pending proposal that carries a 约谈 / 通报 milestone of the task's current cycle (just made or
    grown, or waiting from earlier). None (a county-wide task, a proposal already decided) means the scan
    mails the notice itself."""
    if level < EscalationLevel.TALK:
        return None
    batch = per_person.propose_reached(session, [(task, level)], now)
    _enqueue(session, batch.drafts, now)
    return batch.carried.get((task.id, level))


def _enqueue(session, drafts, now: datetime) -> None:
    if drafts:
        from tracker.mail.outbox import enqueue_drafts

        enqueue_drafts(session, drafts, now)


resolve_closed = per_person.resolve_closed
propose_reached = per_person.propose_reached

# A unit proposal lists the most overdue tasks up to this many (its reason gives the full count): a
# province-scale unit with thousands of overdue tasks must not write thousands of rows a month.
UNIT_PROPOSAL_MAX_TASKS = 200


def propose_for_unit(session, unit: Unit, tasks, now: datetime,
                     calendar: WorkCalendar | None = None, total: int | None = None,
                     drafts: list | None = None, users: list | None = None) -> Proposal | None:
    """Proposes a unit-level 约谈 of the unit's secretary for its overdue `tasks`, at most once a month.

    Returns None when the unit was already proposed this calendar month, or still has one 待决定.
    """
    made = propose_for_units(session, [(unit, tasks, total)], now, calendar=calendar, drafts=drafts, users=users)
    return made.get(unit.id)


def propose_for_units(session, wanted, now: datetime, *, calendar: WorkCalendar | None = None,
                      drafts: list | None = None, users: list | None = None) -> dict[int, Proposal]:
    """propose_for_unit for many units at once — `wanted`: (unit, its overdue tasks, their total count) —
    in a fixed number of statements (the pending ones, one INSERT … ON CONFLICT DO NOTHING of the new
    proposals, their links, their audit rows). Returns unit id → the proposal made now."""
    items = []
    for unit, tasks, total in wanted:
        tasks = [t for t in tasks if not t.is_closed]
        if tasks:
            items.append((unit, tasks, max(len(tasks), int(total or 0))))
    if not items:
        return {}
    waiting = set(session.scalars(select(Proposal.unit_id).where(
        Proposal.subject == ProposalSubject.UNIT, Proposal.unit_id.in_([u.id for u, _, _ in items]),
        Proposal.status == ProposalStatus.PENDING)))
    items = [item for item in items if item[0].id not in waiting]
    if not items:
        return {}
    today = local_date(now, _tz())
    threshold = settings().rules["unit_overdue_threshold"]
    values = []
    for unit, tasks, total in items:
        word = per_person.reach_word(total, threshold)
        listed = "" if total <= len(tasks) else f"（下列{len(tasks)}项为逾期最久的）"
        reason = (f"{unit.name}截至{cn_date(today)}有{total}项整改任务逾期未完成（{word}{threshold}项）{listed}，"
                  f"问题较多、长期打不开局面，按规则建议对该单位主要负责同志进行约谈。")
        values.append({"kind": ProposalKind.TALK, "subject": ProposalSubject.UNIT, "task_id": None, "unit_id": unit.id,
                       "scope_key": keys.unit_proposal_scope(unit.id, today), "reminder_cycle": None,
                       "source_level": max(t.escalation_level for t in tasks), "reason": reason,
                       "status": ProposalStatus.PENDING, "created_at": now})
    # A concurrent scan that proposed the same unit this month wins quietly (no row back for it).
    statement = (per_person._insert(session, Proposal).on_conflict_do_nothing(index_elements=["kind", "scope_key"])
                 .returning(Proposal.id, Proposal.unit_id))
    made = {unit_id: pid for pid, unit_id in session.execute(statement, values)}
    if not made:
        return {}
    loaded = {p.id: p for p in session.scalars(select(Proposal).where(Proposal.id.in_(list(made.values())))
                                                .options(selectinload(Proposal.unit)))}
    calendar = calendar or WorkCalendar.load(session)
    users = users if users is not None else _org_and_discipline(session)  # a Staff: narrowed per unit
    links, events, mails, result = [], [], [], {}
    for unit, tasks, _ in items:
        proposal = loaded.get(made.get(unit.id))
        if proposal is None:
            continue
        lines = [per_person.Line(t.id, t.problem_text, t.deadline, days_overdue(t, today, calendar), None)
                 for t in sorted(tasks, key=lambda t: (t.deadline or today, t.id))]
        levels = {t.id: t.escalation_level for t in tasks}
        links += [{"proposal_id": proposal.id, "task_id": line.task_id, "deadline": line.deadline,
                   "days_overdue": line.days_overdue, "level": levels[line.task_id], "added_at": now}
                  for line in lines]
        events.append(audit.row(actor=None, now=now, action="propose", entity=proposal, field="status",
                                after=proposal.status, note=proposal.reason))
        draft = per_person.proposal_draft(proposal, lines, today, users, key=f"proposal:{proposal.id}")
        draft.subject = f"【{proposal.kind}建议】{unit.name}：{len(lines)}项整改任务逾期未完成"
        mails.append(draft)
        result[unit.id] = proposal
    # In one statement (the ORM would insert them one by one on SQLite; up to 200 per unit at province scale).
    bulk.insert_rows(session, ProposalTask.__table__, links)
    audit.record_many(session, events)
    if drafts is not None:
        drafts.extend(mails)
    else:
        _enqueue(session, mails, now)
    return result


def _org_and_discipline(session) -> per_person.Staff:
    """Narrowed per proposal to the accounts covering its county by per_person.proposal_draft."""
    return per_person.Staff.load(session)


external_url = per_person.external_url
