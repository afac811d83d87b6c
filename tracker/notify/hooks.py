"""Where the scan hands level changes and overdue units to the 约谈 / 通报 proposals.

The proposals live in tracker.notify.proposals (built separately). When that module is installed the
scan calls it in its own transaction, and the proposal's own mail (to the organization department and
the discipline commission) is the notice: the scan then stores its level-2/3 and unit notices as
"delegated" outbox rows (key taken, nothing sent twice). Without the module the scan mails them itself.
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


def on_escalation(session, task, old_level: int, new_level: int, now: datetime):
    """Called after the scan raised a task's level (in the scan's transaction). Levels 2 and 3 are
    约谈 / 通报 proposals; level 1 (督办) proposes nothing. Returns the proposal made, if any."""
    if new_level < 2 or new_level <= old_level or not proposals_available():
        return None
    return _proposals().propose_for_task(session, task, new_level, now)


def on_unit_overdue(session, unit, tasks, now: datetime):
    """Called when a unit has reached the overdue threshold (问题较多、长期打不开局面)."""
    if not proposals_available():
        return None
    return _proposals().propose_for_unit(session, unit, tasks, now)
