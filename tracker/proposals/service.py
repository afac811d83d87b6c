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
import re
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from tracker.models import EscalationLevel, Role, Task, Unit, User
from tracker.models.proposals import (
    ORG_HANDLING_MEASURES,
    DecisionOutcome,
    OrgHandling,
    Proposal,
    ProposalDecision,
    ProposalKind,
    ProposalStatus,
    ProposalSubject,
    ProposalTask,
)
from tracker.escalation.calendar import WorkCalendar
from tracker.proposals.dossier import days_overdue
from tracker.services import audit
from tracker.services.errors import DomainError, PermissionDenied
from tracker.settings import settings
from tracker.timeutil import cn_date, local_date

LEVEL_KINDS = {EscalationLevel.TALK: ProposalKind.TALK, EscalationLevel.CIRCULAR: ProposalKind.CIRCULAR}
LEVEL_RULE_KEYS = {EscalationLevel.TALK: "level2_after_workdays", EscalationLevel.CIRCULAR: "level3_after_workdays"}
MAX_NAMES = 200
MAX_DOC_NUMBER = 60
MAX_TEXT = 5000
# 〔2026〕3号 typed as [2026]3号, 【2026】3号 or (2026)3号: normalised to the official brackets.
DOC_NUMBER_RE = re.compile(r"^(.*?)[\[【(（〔﹝](\d{4})[\]】)）〕﹞]\s*(\d+)\s*号$")


class ProposalFormError(DomainError):
    """Bad input on a decision form: `errors` maps each field to its message; nothing was written."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("；".join(errors.values()))


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


# --- deciding (the organization department) ------------------------------------------------------------

def _require_org(actor: User) -> None:
    if actor is None or actor.role != Role.ORG_DEPT:
        raise PermissionDenied("仅县委组织部可以决定约谈、通报事项")


def require_pending(proposal: Proposal) -> None:
    if not proposal.is_pending:
        raise DomainError(f"该{proposal.kind}建议已{proposal.status}，不能再次处理")


def _parse_date(value, field: str, label: str, errors: dict, today: date) -> date | None:
    if isinstance(value, str):
        value = value.strip()
        if not value:
            value = None
        else:
            try:
                value = date.fromisoformat(value)
            except ValueError:
                errors[field] = f"{label}格式不正确，请按 2026-03-31 的格式填写"
                return None
    if value is None:
        errors[field] = f"请填写{label}"
        return None
    if value > today:
        errors[field] = f"{label}不能晚于今天（{cn_date(today)}）"
        return None
    return value


def normalise_doc_number(text: str | None) -> str:
    text = " ".join((text or "").split())
    match = DOC_NUMBER_RE.match(text)
    if match:
        prefix, year, number = match.groups()
        return f"{prefix.strip()}〔{year}〕{int(number)}号"
    return text


def decision_labels(kind: str) -> dict[str, str]:
    if kind == ProposalKind.TALK:
        return {"held_on": "约谈日期", "held_by": "约谈人"}
    return {"held_on": "通报印发日期", "held_by": "签发人"}


def decide(session, proposal: Proposal, *, actor: User, now: datetime, held_on, held_by: str,
           doc_number: str, note: str) -> ProposalDecision:
    """Records that the 约谈 was held / the 通报 issued. Needs the date, (for 约谈) who held it, and a 文号
    or a note. Raises ProposalFormError with a message per bad field, writing nothing."""
    _require_org(actor)
    require_pending(proposal)
    labels = decision_labels(proposal.kind)
    today = local_date(now, _tz())
    errors: dict[str, str] = {}
    held_on = _parse_date(held_on, "held_on", labels["held_on"], errors, today)
    created_on = local_date(proposal.created_at, _tz())
    if held_on is not None and held_on < created_on:
        errors["held_on"] = f"{labels['held_on']}不能早于建议提出的日期（{cn_date(created_on)}）"
    held_by = " ".join((held_by or "").split())
    if proposal.kind == ProposalKind.TALK and not held_by:
        errors["held_by"] = "请填写约谈人（可填写多人，用顿号分隔）"
    elif len(held_by) > MAX_NAMES:
        errors["held_by"] = f"{labels['held_by']}不能超过{MAX_NAMES}字"
    doc_number = normalise_doc_number(doc_number)
    note = (note or "").strip()
    if not doc_number and not note:
        errors["doc_number"] = "请填写文号或备注（至少填写一项）"
    if len(doc_number) > MAX_DOC_NUMBER:
        errors["doc_number"] = f"文号不能超过{MAX_DOC_NUMBER}字"
    if len(note) > MAX_TEXT:
        errors["note"] = f"备注不能超过{MAX_TEXT}字"
    if errors:
        raise ProposalFormError(errors)
    decision = ProposalDecision(proposal=proposal, outcome=DecisionOutcome.DECIDED, held_on=held_on,
                                held_by=held_by, doc_number=doc_number, note=note, decided_by_id=actor.id,
                                decided_at=now)
    session.add(decision)
    audit.change(session, actor=actor, now=now, entity=proposal, field="status", value=ProposalStatus.DECIDED,
                 action="decide_proposal",
                 note=f"{labels['held_on']}{cn_date(held_on)}；{labels['held_by']}{held_by or '—'}；"
                      f"文号{doc_number or '—'}；{note}")
    return decision


def dismiss(session, proposal: Proposal, *, actor: User, now: datetime, reason: str) -> ProposalDecision:
    """驳回 a proposal. The reason is required."""
    _require_org(actor)
    require_pending(proposal)
    reason = (reason or "").strip()
    if not reason:
        raise ProposalFormError({"reason": "驳回必须填写理由"})
    if len(reason) > MAX_TEXT:
        raise ProposalFormError({"reason": f"理由不能超过{MAX_TEXT}字"})
    decision = ProposalDecision(proposal=proposal, outcome=DecisionOutcome.DISMISSED, dismiss_reason=reason,
                                decided_by_id=actor.id, decided_at=now)
    session.add(decision)
    audit.change(session, actor=actor, now=now, entity=proposal, field="status",
                 value=ProposalStatus.DISMISSED, action="dismiss_proposal", note=reason)
    return decision


def record_org_handling(session, *, actor: User, now: datetime, unit_id, cadre_id, measure: str,
                        doc_number: str, decided_on, note: str = "", proposal_id=None) -> OrgHandling:
    """Records a 组织处理 decision taken by people. The only code that writes an OrgHandling."""
    _require_org(actor)
    errors: dict[str, str] = {}
    unit = session.get(Unit, int(unit_id)) if str(unit_id or "").isdigit() else None
    if unit is None:
        errors["unit_id"] = "请选择责任单位"
    cadre = session.get(User, int(cadre_id)) if str(cadre_id or "").isdigit() else None
    if cadre is None or cadre.role != Role.SECRETARY or unit is None or cadre.unit_id != unit.id:
        errors["cadre_id"] = "请选择该责任单位的书记"
    if measure not in ORG_HANDLING_MEASURES:
        errors["measure"] = "请选择组织处理方式"
    doc_number = normalise_doc_number(doc_number)
    if not doc_number:
        errors["doc_number"] = "请填写组织处理决定的文号"
    elif len(doc_number) > MAX_DOC_NUMBER:
        errors["doc_number"] = f"文号不能超过{MAX_DOC_NUMBER}字"
    decided_on = _parse_date(decided_on, "decided_on", "决定日期", errors, local_date(now, _tz()))
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        errors["note"] = f"备注不能超过{MAX_TEXT}字"
    proposal = None
    if str(proposal_id or "").strip():
        proposal = session.get(Proposal, int(proposal_id)) if str(proposal_id).isdigit() else None
        if proposal is None or unit is None or proposal.unit_id != unit.id:
            errors["proposal_id"] = "关联的约谈、通报建议不属于该单位"
    if errors:
        raise ProposalFormError(errors)
    handling = OrgHandling(unit_id=unit.id, cadre_id=cadre.id, cadre_name=cadre.name,
                           cadre_title=cadre.title or "", measure=measure, doc_number=doc_number,
                           decided_on=decided_on, note=note, proposal_id=proposal.id if proposal else None,
                           recorded_by_id=actor.id, recorded_at=now)
    session.add(handling)
    session.flush()
    audit.record(session, actor=actor, now=now, action="record_org_handling", entity=handling,
                 after=f"{cadre.name}：{measure}（{doc_number}）", note=note)
    return handling


# --- the 约谈 and 通报 lists -----------------------------------------------------------------------------

LIST_STATES = {"pending": (ProposalStatus.PENDING,), "closed": (ProposalStatus.DECIDED, ProposalStatus.DISMISSED)}


@dataclass
class ProposalPage:
    items: list[Proposal]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_proposals(session, *, kind: str, state: str = "pending", page: int = 1, per_page: int = 50,
                   unit_id: int | None = None) -> ProposalPage:
    statuses = LIST_STATES[state]
    conditions = [Proposal.kind == kind, Proposal.status.in_(statuses)]
    if unit_id is not None:
        conditions.append(Proposal.unit_id == unit_id)
    total = session.scalar(select(func.count(Proposal.id)).where(*conditions))
    page = max(1, page)
    items = session.scalars(
        select(Proposal).where(*conditions)
        .options(joinedload(Proposal.unit), joinedload(Proposal.task), selectinload(Proposal.tasks),
                 selectinload(Proposal.decision).joinedload(ProposalDecision.decided_by))
        .order_by(Proposal.created_at.desc(), Proposal.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return ProposalPage(list(items), total or 0, page, per_page)


def proposal_counts(session) -> dict[tuple[str, str], int]:
    """{(kind, "pending" | "closed"): count} in one grouped query."""
    rows = session.execute(select(Proposal.kind, Proposal.status, func.count(Proposal.id))
                           .group_by(Proposal.kind, Proposal.status)).all()
    counts = {(kind, state): 0 for kind in ProposalKind for state in LIST_STATES}
    for kind, status, count in rows:
        state = "pending" if status == ProposalStatus.PENDING else "closed"
        counts[(kind, state)] = counts.get((kind, state), 0) + count
    return counts


def org_handlings(session, *, limit: int = 100) -> list[OrgHandling]:
    return list(session.scalars(
        select(OrgHandling).options(joinedload(OrgHandling.unit), joinedload(OrgHandling.recorded_by))
        .order_by(OrgHandling.decided_on.desc(), OrgHandling.id.desc()).limit(limit)))


def proposals_for_task(session, task_id: int) -> list[Proposal]:
    """Every proposal (task or unit) that names this task, newest first: for links from the task's page."""
    return list(session.scalars(
        select(Proposal).join(ProposalTask, ProposalTask.proposal_id == Proposal.id)
        .where(ProposalTask.task_id == task_id).order_by(Proposal.created_at.desc(), Proposal.id.desc())))
