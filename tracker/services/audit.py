"""Audit trail: every change of status, deadline, owner or escalation level is recorded with it."""
from datetime import date, datetime
from enum import Enum

from tracker.models import AuditEvent, Task, User


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def record(
    session,
    *,
    actor: User | None,
    now: datetime,
    action: str,
    entity,
    field: str | None = None,
    before=None,
    after=None,
    note: str = "",
) -> AuditEvent:
    """Adds an AuditEvent to the session; the caller's transaction commits it with the change."""
    if entity.id is None:
        session.flush()
    event = AuditEvent(
        at=now,
        actor_id=actor.id if actor is not None else None,
        entity_type=entity.__tablename__,
        entity_id=entity.id,
        task_id=entity.id if isinstance(entity, Task) else getattr(entity, "task_id", None),
        action=action,
        field=field,
        before=_text(before),
        after=_text(after),
        note=note or "",
    )
    session.add(event)
    return event


def change(session, *, actor, now, entity, field: str, value, action: str | None = None, note: str = ""):
    """Sets entity.field = value and audits it, when the value really changes. Returns True if it did."""
    before = getattr(entity, field)
    if before == value:
        return False
    setattr(entity, field, value)
    record(
        session, actor=actor, now=now, action=action or f"set_{field}", entity=entity,
        field=field, before=before, after=value, note=note,
    )
    return True


def row(*, actor: User | None, now: datetime, action: str, entity, field: str | None = None, before=None,
        after=None, note: str = "") -> dict:
    """An audit event as a plain row, for record_many (the entity must have its id already)."""
    return {"at": now, "actor_id": actor.id if actor is not None else None, "entity_type": entity.__tablename__,
            "entity_id": entity.id,
            "task_id": entity.id if isinstance(entity, Task) else getattr(entity, "task_id", None),
            "action": action, "field": field, "before": _text(before), "after": _text(after), "note": note or ""}


def record_many(session, rows: list[dict]) -> None:
    """One INSERT for many audit events (the scan writes a page's level changes this way): the same rows
    record() would add, in the caller's transaction."""
    if rows:
        from tracker.services import bulk

        bulk.insert_rows(session, AuditEvent.__table__, rows)
