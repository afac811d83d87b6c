"""签收: every notice mail carries a signed link; its owner opens it, logs in, and confirms.

The token names the notice's idempotency key only, and grants nothing by itself: the same mail also goes to
copied people (the organization department's contact, 督办 digests), so signing requires being logged in
as the one the notice is meant for — the task's owner for a task notice actually sent to the owner, or
for other notices a user the notice was sent to. Anyone else who opens the link sees the notice and a
login link. The audit names the signer.
"""
from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from tracker.models import Task
from tracker.models.notify import Notice, OutboxMessage
from tracker.services import audit
from tracker.settings import settings

SALT = "tracker-notice-ack"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(settings().secret_key, salt=SALT)


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
    return settings().base_url + f"/notify/ack/{make_token(key)}"


def find_notice(session, key: str):
    """(task or None, outbox row or None, notices) for a key; None when the key names nothing."""
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
    notices = session.scalars(select(Notice).where(Notice.key == key).order_by(Notice.id)).all()
    if row is None and not notices:
        return None
    task_id = row.task_id if row is not None else notices[0].task_id
    task = session.get(Task, task_id) if task_id else None
    return task, row, notices


def signer_ids(task, notices) -> set[int]:
    """Who may sign: for a task notice the owner, and only when the notice was sent to the owner (a 约谈/
    通报 notice to the organization department is not the owner's to sign); otherwise its recipient users."""
    recipients = {n.user_id for n in notices}
    if task is not None:
        return {task.owner_id} & recipients if task.owner_id is not None else set()
    return recipients


def may_sign(user, task, notices) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.id in signer_ids(task, notices)


def acknowledge(session, key: str, *, now: datetime, actor) -> bool:
    """The actor signs their own copy of the notice and, when it is the task's latest notice to its owner,
    the task. Returns True when something changed (a second click changes nothing). The caller has
    checked may_sign; a non-signer changes nothing."""
    found = find_notice(session, key)
    if found is None or actor is None:
        return False
    task, _row, notices = found
    if not may_sign(actor, task, notices):
        return False
    changed = session.execute(
        update(Notice).where(Notice.key == key, Notice.user_id == actor.id, Notice.acknowledged_at.is_(None))
        .values(acknowledged_at=now)
    ).rowcount > 0
    if task is not None and task.owner_id == actor.id and task.last_notice_key == key and (
            task.acknowledged_at is None or (task.last_notice_at and task.acknowledged_at < task.last_notice_at)):
        audit.change(session, actor=actor, now=now, entity=task, field="acknowledged_at", value=now,
                     action="acknowledge", note=f"{actor.name}签收通知 {key}")
        changed = True
    elif changed:
        mine = next(n for n in notices if n.user_id == actor.id)
        audit.record(session, actor=actor, now=now, action="acknowledge", entity=task if task is not None else mine,
                     field="acknowledged_at", after=str(now), note=f"{actor.name}签收通知 {key}")
    return changed


def is_acknowledged(task: Task) -> bool:
    return task.acknowledged_at is not None and (
        task.last_notice_at is None or task.acknowledged_at >= task.last_notice_at)
