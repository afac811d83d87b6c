"""签收: every notice mail carries a signed link; opening it and confirming marks the notice received.

The token names the notice's idempotency key only; it grants nothing but confirming that notice.
"""
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from tracker.models import Task
from tracker.models.notify import Notice, OutboxMessage
from tracker.services import audit

SALT = "tracker-notice-ack"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(key: str) -> str:
    return _serializer().dumps({"k": key})


def read_token(token: str) -> str | None:
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    key = data.get("k") if isinstance(data, dict) else None
    return key if isinstance(key, str) else None


def ack_url(key: str) -> str:
    return current_app.config.get("BASE_URL", "").rstrip("/") + f"/notify/ack/{make_token(key)}"


def find_notice(session, key: str):
    """(task or None, outbox row or None, notices) for a key; None when the key names nothing."""
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
    notices = session.scalars(select(Notice).where(Notice.key == key).order_by(Notice.id)).all()
    if row is None and not notices:
        return None
    task_id = row.task_id if row is not None else notices[0].task_id
    task = session.get(Task, task_id) if task_id else None
    return task, row, notices


def acknowledge(session, key: str, *, now: datetime, actor=None) -> bool:
    """Marks the notice's in-app copies and, when it is the task's latest notice, the task. Returns True
    when something changed (a second click changes nothing)."""
    found = find_notice(session, key)
    if found is None:
        return False
    task, _row, _notices = found
    changed = session.execute(
        update(Notice).where(Notice.key == key, Notice.acknowledged_at.is_(None)).values(acknowledged_at=now)
    ).rowcount > 0
    if task is not None and task.last_notice_key == key and (
            task.acknowledged_at is None or (task.last_notice_at and task.acknowledged_at < task.last_notice_at)):
        audit.change(session, actor=actor, now=now, entity=task, field="acknowledged_at", value=now,
                     action="acknowledge", note=f"签收通知 {key}")
        changed = True
    return changed


def is_acknowledged(task: Task) -> bool:
    return task.acknowledged_at is not None and (
        task.last_notice_at is None or task.acknowledged_at >= task.last_notice_at)
