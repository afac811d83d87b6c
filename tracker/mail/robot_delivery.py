"""Delivery of group-robot rows: the same claims, leases, marks and retries as mail (docs/exactly-once.md).

Each robot row (channel 'robot', key "<notice key>:robot") is claimed with SKIP LOCKED, its lease renewed
right before its post, and marked sent in its own commit right after the robot's success answer, only
while the claim is still ours. Unlike SMTP there is no shared connection: one robot's failure (an errcode,
a 500, a timeout) is recorded on its row alone and retried with backoff; the batch goes on.
"""
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update

from tracker.mail import robot
from tracker.mail.claims import Clock, DeliveryResult, _always, _failed, claim, renew
from tracker.models import Unit
from tracker.models.notify import Channel, OutboxMessage, OutboxStatus
from tracker.settings import settings

log = logging.getLogger("tracker.delivery.robot")


@dataclass(frozen=True)
class _Claimed:
    """What claims._failed reads of a row (id, key, attempts, channel), without holding the ORM object."""

    id: int
    key: str
    attempts: int
    channel: str


def deliver_robots(session, *, now: datetime, worker: str = "tick", still_leading=_always) -> DeliveryResult:
    config = settings().mail
    if not still_leading():
        return DeliveryResult()
    token = f"{worker}:robot:{uuid.uuid4().hex[:12]}"
    clock = Clock(now)
    rows = claim(session, now=now, token=token, limit=config.batch_size, channel=Channel.ROBOT)
    result = DeliveryResult(claimed=len(rows))
    failure = {"now": now, "max_attempts": config.max_attempts, "base": config.retry_base_seconds,
               "result": result, "token": token}
    # Read once per batch: every commit below expires the session, and reloading each row and its unit
    # after each post would double the queries per post.
    # Plain copies, and the rows leave the session: every commit below would otherwise expire all of them
    # (quadratic in the batch size).
    posts = [(_Claimed(row.id, row.key, row.attempts or 0, row.channel), row.id, row.key, row.subject,
              row.body_text, row.unit_id) for row in rows]
    targets = {unit_id: robot.unit_robot(session.get(Unit, unit_id)) for unit_id in {p[5] for p in posts} if unit_id}
    for row in rows:
        session.expunge(row)
    for index, (row, row_id, key, title, text, unit_id) in enumerate(posts):
        if not still_leading():
            log.error("调度器已失去领导权，停止发送本批其余%d条机器人消息", len(rows) - index)
            _give_back(session, rows[index:], token)
            break
        if row_id not in renew(session, token=token, now=clock()):
            log.warning("机器人消息 %s 已不归本进程发送（租约已过期），跳过", key)
            result.lost += 1
            continue
        target = targets.get(unit_id)
        if target is None:
            _failed(session, row, "该单位已不再设置群机器人", permanent=True, **failure)
            continue
        try:
            robot.post(target, key=key, title=title, text=text, timeout=config.timeout_seconds)
        except robot.RobotError as exc:
            _failed(session, row, str(exc), permanent=False, **failure)
            continue
        _mark_sent(session, row_id, key, token=token, now=now, result=result)
    return result


def _mark_sent(session, row_id: int, key: str, *, token: str, now: datetime, result: DeliveryResult) -> None:
    # Right after the robot's success answer, in its own commit: the one window left is this commit.
    marked = session.execute(update(OutboxMessage).where(
        OutboxMessage.id == row_id, OutboxMessage.claimed_by == token, OutboxMessage.status == OutboxStatus.SENDING,
    ).values(attempts=OutboxMessage.attempts + 1, status=OutboxStatus.SENT, sent_at=now, claimed_until=None,
             last_error=None).execution_options(synchronize_session=False)).rowcount
    session.commit()
    if marked:
        result.sent += 1
    else:
        result.lost += 1
        log.error("机器人消息 %s 已发出，但其发送权已被其他进程接手：可能重复一条", key)


def _give_back(session, rows, token: str) -> None:
    session.execute(update(OutboxMessage).where(
        OutboxMessage.id.in_([r.id for r in rows]), OutboxMessage.claimed_by == token,
        OutboxMessage.status == OutboxStatus.SENDING,
    ).values(status=OutboxStatus.PENDING, claimed_by=None, claimed_until=None).execution_options(
        synchronize_session=False))
    session.commit()
