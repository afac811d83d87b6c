"""Every key the ladder relies on, built and parsed here only.

Idempotency keys make a notice exist once (outbox.key is unique); proposal scope keys make a proposal exist
once per scope ((kind, scope_key) is unique); a task's notice stage records the last milestone handled in
its reminder cycle. Changing a format here changes it everywhere, and a format that two modules built
separately could not drift apart.
"""
import hashlib
from dataclasses import dataclass
from datetime import date

MAX_KEY_LENGTH = 200  # outbox.key and task.last_notice_key columns


# --- notices --------------------------------------------------------------------------------------

def task_notice(task_id: int, cycle: int, rule: str) -> str:
    """One milestone (remind-5, urge, level1 …) of one reminder cycle of one task."""
    return f"task:{task_id}:c{cycle}:{rule}"


def unit_overdue_notice(unit_id: int, day: date) -> str:
    """The month's notice that a unit reached the overdue threshold."""
    return f"unit:{unit_id}:overdue:{day:%Y-%m}"


def day_digest(address: str, day: date) -> str:
    """The one mail per address per local day; a very long address is hashed to fit the column."""
    key = f"digest:{address}:{day.isoformat()}"
    if len(key) <= MAX_KEY_LENGTH:
        return key
    return f"digest:{hashlib.sha256(address.encode()).hexdigest()[:40]}:{day.isoformat()}"


def weekly_org_user(week: str, user_id: int) -> str:
    return f"digest:org:{week}:user:{user_id}"


def weekly_org_address(week: str, address: str) -> str:
    return f"digest:org:{week}:addr:{hashlib.sha256(address.lower().encode()).hexdigest()[:16]}"


def weekly_secretary(week: str, user_id: int) -> str:
    return f"digest:secretary:{week}:user:{user_id}"


# --- the notice stage of a task -------------------------------------------------------------------

@dataclass(frozen=True)
class Stage:
    cycle: str
    rule: str

    @property
    def family(self) -> str:
        """remind / urge / level1 … : the milestone's kind without its day count."""
        return self.rule.split("-", 1)[0]


def stage(cycle: int, rule: str) -> str:
    return f"{cycle}:{rule}"


def parse_stage(value: str | None) -> Stage | None:
    if not value:
        return None
    cycle, _, rule = value.partition(":")
    return Stage(cycle, rule) if rule else None


# --- proposal scopes ------------------------------------------------------------------------------

def task_proposal_scope(task_id: int, cycle: int) -> str:
    return f"task:{task_id}:c{cycle}"


def unit_proposal_scope(unit_id: int, day: date) -> str:
    return f"unit:{unit_id}:{day:%Y-%m}"


def rescope_unit(scope_key: str, source_id: int, target_id: int) -> str:
    """A unit scope rewritten to name the unit it was merged into; any other scope stays as it is."""
    prefix = f"unit:{source_id}:"
    if not scope_key.startswith(prefix):
        return scope_key
    return f"unit:{target_id}:" + scope_key[len(prefix):]
