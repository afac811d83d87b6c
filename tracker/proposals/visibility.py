"""What of the 约谈/通报 deliberation the person concerned may read: nothing until it is decided.

A proposal, its dossier and the mails about it to 组织部 and 纪委 stay with those two; a secretary reads
the escalation ladder up to 督办, and a decided 约谈 or 通报 only as the decision (tracker.proposals.owner).
Imports nothing but models, so that every page, mail and export that shows a task to its owner can use it.
"""
from tracker.models import EscalationLevel

# Audit rows written on these records are deliberation: never in a secretary's timeline.
INTERNAL_ENTITIES = frozenset({"proposal", "proposal_decision", "org_handling", "explanation_request"})
# Mails about a task a secretary may see in its timeline: those addressed to the owner. Everything else
# (约谈/通报 notices and proposal mails to 组织部 and 纪委, digests) is left out, including kinds added later.
OWNER_MAIL_KINDS = frozenset({"task_remind", "task_urge", "task_level1", "task_ongoing", "explanation_request"})


def owner_level(level: int | None) -> int:
    """The escalation level as its owner may read it: 约谈 and 通报 are proposals until people decide."""
    return min(level or 0, EscalationLevel.SUPERVISION)


def owner_level_label(level: int | None) -> str:
    return EscalationLevel.LABELS.get(owner_level(level), "")
