"""The dossier people read before deciding a proposal: for each task, its timeline, the notices sent, the
acknowledgements, the progress reported and the owner's 情况说明 (asked for and answered through
tracker.proposals.owner).

All tasks of a proposal are loaded with one query per kind of record (a unit proposal may cover many).
"""
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tracker.escalation.calendar import WorkCalendar
from tracker.models import ProgressUpdate, Role, Task, UpdateKind, User
from tracker.models.proposals import Proposal, ProposalTask
from tracker.models.notify import OutboxMessage
from tracker.proposals.overdue import days_overdue
from tracker.services import access
from tracker.services.timeline import TimelineEntry, task_timeline

MAX_EVENTS_PER_TASK = 200


@dataclass
class NoticeEntry:
    created_at: datetime
    subject: str
    status: str
    sent_at: datetime | None


@dataclass
class TaskDossier:
    task: Task
    link: ProposalTask
    timeline: list[TimelineEntry] = field(default_factory=list)  # tracker.services.timeline
    notices: list[NoticeEntry] = field(default_factory=list)
    progress: list[ProgressUpdate] = field(default_factory=list)
    explanations: list[ProgressUpdate] = field(default_factory=list)

    @property
    def acknowledged_at(self) -> datetime | None:
        return self.task.acknowledged_at

    @property
    def unacknowledged(self) -> bool:
        """A notice went out after the last 签收 (or there never was one)."""
        last = self.task.last_notice_at
        return last is not None and (self.task.acknowledged_at is None or self.task.acknowledged_at < last)


@dataclass
class Dossier:
    proposal: Proposal
    tasks: list[TaskDossier]
    calendar: WorkCalendar

    def days_overdue_on(self, today: date) -> dict[int, int]:
        return {entry.task.id: days_overdue(entry.task, today, self.calendar) for entry in self.tasks}


def build_dossier(session, proposal: Proposal) -> Dossier:
    links = session.scalars(
        select(ProposalTask).where(ProposalTask.proposal_id == proposal.id)
        .options(joinedload(ProposalTask.task).joinedload(Task.owner),
                 joinedload(ProposalTask.task).joinedload(Task.unit))
        .order_by(ProposalTask.id)
    ).all()
    entries = {link.task_id: TaskDossier(task=link.task, link=link) for link in links}
    task_ids = list(entries)
    calendar = WorkCalendar.load(session)
    if not task_ids:
        return Dossier(proposal, [], calendar)

    for entry in entries.values():  # the task page's own timeline (one builder, the same labels)
        entry.timeline = task_timeline(session, entry.task).entries[-MAX_EVENTS_PER_TASK:]

    updates = session.scalars(
        select(ProgressUpdate).where(ProgressUpdate.task_id.in_(task_ids))
        .options(joinedload(ProgressUpdate.author)).order_by(ProgressUpdate.created_at, ProgressUpdate.id)
    )
    for update in updates:
        target = entries[update.task_id]
        (target.explanations if update.kind == UpdateKind.EXPLANATION else target.progress).append(update)

    messages = session.scalars(select(OutboxMessage).where(OutboxMessage.task_id.in_(task_ids))
                               .order_by(OutboxMessage.created_at, OutboxMessage.id))
    for message in messages:
        entries[message.task_id].notices.append(NoticeEntry(
            created_at=message.created_at, subject=message.subject, status=message.status_label,
            sent_at=message.sent_at))
    return Dossier(proposal, list(entries.values()), calendar)


def can_view_proposal(user: User, proposal: Proposal) -> bool:
    """The organization department and the discipline commission only: a proposal is their deliberation.
    The secretary concerned meets it as a request for a 情况说明 or a decision (tracker.proposals.owner)."""
    return (bool(user.is_authenticated) and user.role in (Role.ORG_DEPT, Role.DISCIPLINE)
            and access.can_view_proposal_scope(user, proposal))  # another county's is unknown
