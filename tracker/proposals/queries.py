"""What the proposal pages list: pages of proposals by kind and state, counts, 组织处理 records."""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from tracker.models.proposals import (
    OrgHandling,
    Proposal,
    ProposalDecision,
    ProposalKind,
    ProposalStatus,
    ProposalTask,
)

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
                   unit_id: int | None = None, within=None) -> ProposalPage:
    """`within`: access.proposal_condition(user) (the account's counties), or None for all."""
    statuses = LIST_STATES[state]
    conditions = [Proposal.kind == kind, Proposal.status.in_(statuses), *_within(within)]
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


def _within(condition) -> list:
    return [] if condition is None else [condition]


def proposal_counts(session, within=None) -> dict[tuple[str, str], int]:
    """{(kind, "pending" | "closed"): count} in one grouped query."""
    rows = session.execute(select(Proposal.kind, Proposal.status, func.count(Proposal.id)).where(*_within(within))
                           .group_by(Proposal.kind, Proposal.status)).all()
    counts = {(kind, state): 0 for kind in ProposalKind for state in LIST_STATES}
    for kind, status, count in rows:
        state = "pending" if status == ProposalStatus.PENDING else "closed"
        counts[(kind, state)] = counts.get((kind, state), 0) + count
    return counts


def org_handlings(session, *, limit: int = 100, units=None) -> list[OrgHandling]:
    """`units`: access.unit_scope(user), or None for all."""
    query = select(OrgHandling)
    if units is not None:
        query = query.where(OrgHandling.unit_id.in_(units))
    return list(session.scalars(
        query.options(joinedload(OrgHandling.unit), joinedload(OrgHandling.recorded_by))
        .order_by(OrgHandling.decided_on.desc(), OrgHandling.id.desc()).limit(limit)))


def proposals_for_task(session, task_id: int) -> list[Proposal]:
    """Every proposal (task or unit) that names this task, newest first: for links from the task's page."""
    return list(session.scalars(
        select(Proposal).join(ProposalTask, ProposalTask.proposal_id == Proposal.id)
        .where(ProposalTask.task_id == task_id).order_by(Proposal.created_at.desc(), Proposal.id.desc())))
