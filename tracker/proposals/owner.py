"""The proposal as its person concerned meets it: a request for a 情况说明, and the decision once taken.

The organization department asks the unit's secretary for a 情况说明 from the proposal page; the secretary
gets a notice that names the task(s) and the date, never the proposal's kind, status or recipients, and
answers on the task page. The explanation lands in the dossier. A decided 约谈 / 通报 is shown to the
secretary as its date, 文号 and what is asked of them (ProposalDecision.owner_notice), nothing more.
"""
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tracker.models import ProgressUpdate, Role, Task, UpdateKind, User
from tracker.models.proposals import (
    DecisionOutcome,
    ExplanationRequest,
    Proposal,
    ProposalDecision,
    ProposalKind,
    ProposalStatus,
    ProposalTask,
)
from tracker.services import audit
from tracker.services.access import can_work_on_task
from tracker.services.errors import DomainError, PermissionDenied
from tracker.settings import settings
from tracker.timeutil import cn_date, local_date

MAX_TEXT = 5000
MAIL_KIND = "explanation_request"  # listed in visibility.OWNER_MAIL_KINDS: the owner sees it in the timeline


@dataclass(frozen=True)
class OwnerDecision:
    """A decided 约谈 / 通报 as its owner reads it."""

    kind: str
    held_on: date | None
    doc_number: str
    owner_notice: str

    @property
    def text(self) -> str:
        """约谈（2026年4月24日，〔2026〕3号）"""
        parts = [cn_date(self.held_on)] + ([self.doc_number] if self.doc_number else [])
        return f"{self.kind}（{'，'.join(p for p in parts if p)}）"

    @property
    def heading(self) -> str:
        return "县委组织部决定对本任务责任人进行约谈" if self.kind == ProposalKind.TALK else "县委组织部决定予以通报"


@dataclass(frozen=True)
class OwnerRequest:
    request: ExplanationRequest
    answered_at: datetime | None


def _tz() -> str:
    return settings().timezone


def _form_error(errors: dict[str, str]):
    from tracker.proposals.decisions import ProposalFormError

    return ProposalFormError(errors)


def decisions_for_tasks(session, task_ids) -> dict[int, list[OwnerDecision]]:
    """task id → the decided 约谈 / 通报 that name it (task or unit proposals), oldest first; one query."""
    task_ids = list(task_ids)
    if not task_ids:
        return {}
    rows = session.execute(
        select(ProposalTask.task_id, Proposal.kind, ProposalDecision.held_on, ProposalDecision.doc_number,
               ProposalDecision.owner_notice)
        .join(Proposal, Proposal.id == ProposalTask.proposal_id)
        .join(ProposalDecision, ProposalDecision.proposal_id == Proposal.id)
        .where(ProposalTask.task_id.in_(task_ids), Proposal.status == ProposalStatus.DECIDED,
               ProposalDecision.outcome == DecisionOutcome.DECIDED)
        .order_by(ProposalDecision.held_on, ProposalDecision.id)).all()
    found: dict[int, list[OwnerDecision]] = {}
    for task_id, kind, held_on, doc_number, owner_notice in rows:
        found.setdefault(task_id, []).append(OwnerDecision(kind, held_on, doc_number or "", owner_notice or ""))
    return found


def requests_for_task(session, task_id: int) -> list[OwnerRequest]:
    """The requests for a 情况说明 that cover this task, with when it was answered (None: still open)."""
    requests = session.scalars(
        select(ExplanationRequest)
        .join(ProposalTask, ProposalTask.proposal_id == ExplanationRequest.proposal_id)
        .where(ProposalTask.task_id == task_id)
        .order_by(ExplanationRequest.requested_at, ExplanationRequest.id)).all()
    if not requests:
        return []
    answers = session.scalars(select(ProgressUpdate.created_at).where(
        ProgressUpdate.task_id == task_id, ProgressUpdate.kind == UpdateKind.EXPLANATION)
        .order_by(ProgressUpdate.created_at)).all()
    return [OwnerRequest(r, next((a for a in answers if a >= r.requested_at), None)) for r in requests]


def requests_for_proposal(session, proposal: Proposal) -> list[ExplanationRequest]:
    return list(session.scalars(
        select(ExplanationRequest).where(ExplanationRequest.proposal_id == proposal.id)
        .options(joinedload(ExplanationRequest.requested_by)).order_by(ExplanationRequest.id)))


def _recipients(session, proposal: Proposal, tasks: list[Task]) -> list[User]:
    """The owners of the tasks when they are the unit's secretaries, else the unit's secretaries."""
    owners = [t.owner for t in tasks if t.owner is not None and t.owner.active and t.owner.role == Role.SECRETARY
              and t.owner.unit_id == proposal.unit_id]
    if owners:
        return list(dict.fromkeys(owners))
    return list(session.scalars(select(User).where(User.role == Role.SECRETARY, User.active.is_(True),
                                                   User.unit_id == proposal.unit_id).order_by(User.id)))


def request_explanation(session, proposal: Proposal, *, actor: User, now: datetime, due_on: date | None,
                        message: str) -> ExplanationRequest:
    """请责任人提交情况说明: stored, audited on each task, and mailed to the secretary through the outbox."""
    from tracker.mail.outbox import draft_email, store_draft
    from tracker.proposals.decisions import require_org, require_pending
    from tracker.proposals.service import external_url

    require_org(actor)
    require_pending(proposal)
    today = local_date(now, _tz())
    errors: dict[str, str] = {}
    if due_on is None:
        errors["due_on"] = "请填写提交期限"
    elif due_on < today:
        errors["due_on"] = f"提交期限不能早于今天（{cn_date(today)}）"
    message = (message or "").strip()
    if len(message) > MAX_TEXT:
        errors["message"] = f"说明不能超过{MAX_TEXT}字"
    if errors:
        raise _form_error(errors)
    tasks = [link.task for link in proposal.tasks if not link.task.is_closed]
    if not tasks:
        raise DomainError("该建议涉及的整改任务均已销号，无需提交情况说明")
    users = _recipients(session, proposal, tasks)
    if not users:
        unit_name = proposal.unit.name if proposal.unit else ""
        raise DomainError(f"{unit_name}没有可接收通知的书记账号，请先在用户管理中添加或启用后再发送")
    request = ExplanationRequest(proposal_id=proposal.id, message=message, due_on=due_on,
                                 requested_by_id=actor.id, requested_at=now)
    session.add(request)
    session.flush()
    note = f"请于{cn_date(due_on)}前提交情况说明" + (f"：{message}" if message else "")
    for task in tasks:
        audit.record(session, actor=actor, now=now, action="request_explanation", entity=task, note=note)
    unit_name = proposal.unit.name if proposal.unit else ""
    first = " ".join(tasks[0].problem_text.split())
    about = first if len(first) <= 40 else first[:39] + "…"
    subject = (f"【请提交情况说明】{unit_name}：{about}" if len(tasks) == 1
               else f"【请提交情况说明】{unit_name}：{len(tasks)}项整改任务")
    context = {
        "subject": subject, "unit_name": unit_name, "due_on": cn_date(due_on), "message": message,
        "today": cn_date(today), "org_name": settings().org_dept_name,
        "tasks": [{"problem_text": t.problem_text, "deadline": cn_date(t.deadline) or "长期坚持",
                   "link": external_url("notices.go_task", task_id=t.id)} for t in tasks],
    }
    draft = draft_email(key=f"explanation:{request.id}", kind=MAIL_KIND, template="explanation_request",
                        context=context, to_users=users, task_id=tasks[0].id if len(tasks) == 1 else None,
                        unit_id=proposal.unit_id)
    store_draft(session, draft, now)
    return request


def submit_explanation(session, task: Task, *, actor: User, now: datetime, body: str) -> ProgressUpdate:
    """The secretary's 情况说明 on a task the organization department asked about (kept with the task)."""
    if actor is None or actor.role != Role.SECRETARY or not can_work_on_task(actor, task):
        raise PermissionDenied("仅该单位书记可以提交情况说明")
    if not requests_for_task(session, task.id):
        raise DomainError("县委组织部没有要求就该整改任务提交情况说明")
    body = (body or "").strip()
    if not body:
        raise _form_error({"body": "请填写情况说明"})
    if len(body) > MAX_TEXT:
        raise _form_error({"body": f"情况说明不能超过{MAX_TEXT}字"})
    # Written directly rather than through tasks.post_progress: explaining a delay does not start the work.
    update = ProgressUpdate(task_id=task.id, author_id=actor.id, kind=UpdateKind.EXPLANATION, body=body,
                            created_at=now)
    session.add(update)
    session.flush()
    audit.record(session, actor=actor, now=now, action="post_update", entity=update, note=UpdateKind.EXPLANATION)
    return update
