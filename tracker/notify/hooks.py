"""Where the scan hands level changes and overdue units to the 约谈 / 通报 proposals.

The proposals live in tracker.notify.proposals (built separately). The scan calls it in its own
transaction. When a proposal comes back, the proposal's own mail (to the organization department and the
discipline commission) is the notice: the scan then stores its level-2/3 or unit notice as a "delegated"
outbox row (key taken, nothing sent twice). When none comes back, the scan mails the notice itself.
"""
import importlib
import importlib.util
from datetime import datetime

PROPOSALS_MODULE = "tracker.notify.proposals"


def _proposals():
    try:
        if importlib.util.find_spec(PROPOSALS_MODULE) is None:
            return None
    except ModuleNotFoundError:
        return None
    return importlib.import_module(PROPOSALS_MODULE)


def proposals_available() -> bool:
    module = _proposals()
    return module is not None and hasattr(module, "propose_for_task") and hasattr(module, "propose_for_unit")


def propose_for_milestone(session, task, level: int, now: datetime):
    """Called for each 约谈 (level 2) / 通报 (level 3) milestone a task reaches in its current reminder
    cycle. Returns the proposal that now carries the notice — the one just made, or the same one made
    earlier in this cycle and still 待决定 — or None when there is none (proposals not installed, a
    county-wide task without a unit, a proposal already decided): then the scan mails the notice itself."""
    if level < 2 or not proposals_available():
        return None
    module = _proposals()
    proposal = module.propose_for_task(session, task, level, now)
    if proposal is not None:
        return proposal
    from sqlalchemy import select

    from tracker.models.proposals import Proposal, ProposalStatus

    return session.scalar(select(Proposal).where(
        Proposal.kind == module.LEVEL_KINDS[level], Proposal.scope_key == f"task:{task.id}:c{task.reminder_cycle}",
        Proposal.status == ProposalStatus.PENDING))


def on_unit_overdue(session, unit, tasks, now: datetime):
    """Called when a unit has reached the overdue threshold (问题较多、长期打不开局面). Returns the new
    proposal, or None (already proposed this month, or an earlier one still waits for a decision)."""
    if not proposals_available():
        return None
    return _proposals().propose_for_unit(session, unit, tasks, now)
