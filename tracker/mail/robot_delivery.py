"""Delivery of group-robot rows: the same claims, leases, marks and retries as mail (docs/exactly-once.md).

Each robot row (channel 'robot', key "<notice key>:robot") is claimed with SKIP LOCKED (leases on the
real clock, renewed when half of it is left: claims.Lease), and marked sent in its own commit right after
the robot's success answer, only while the claim is still ours. Unlike SMTP there is no shared connection: one robot's failure (an errcode,
a 500, a timeout) is recorded on its row alone and retried with backoff; the batch goes on.
"""
import logging
import uuid
from datetime import datetime

from sqlalchemy import select, update

from tracker.mail import robot
from tracker.mail.claims import (
    DeliveryResult,
    _always,
    _failed,
    claim,
    give_back,
    new_lease,
    renew,
)
from tracker.mail.marks import MarkWriter
from tracker.models import Unit
from tracker.models.notify import Channel, OutboxMessage, OutboxStatus
from tracker.settings import settings

log = logging.getLogger("tracker.delivery.robot")


def deliver_robots(session, *, now: datetime, worker: str = "tick", still_leading=_always) -> DeliveryResult:
    config = settings().mail
    if not still_leading():
        return DeliveryResult()
    token = f"{worker}:robot:{uuid.uuid4().hex[:12]}"
    lease = new_lease()
    # Plain values (claims.Claimed), read once: no commit below expires or reloads a row.
    rows = claim(session, now=now, token=token, limit=config.batch_size, channel=Channel.ROBOT, lease=lease)
    result = DeliveryResult(claimed=len(rows))
    failure = {"now": now, "max_attempts": config.max_attempts, "base": config.retry_base_seconds, "token": token}
    unit_ids = {row.unit_id for row in rows if row.unit_id}
    targets = {unit.id: robot.unit_robot(unit) for unit in
               session.scalars(select(Unit).where(Unit.id.in_(unit_ids)))} if unit_ids else {}
    session.commit()
    # Each mark waits for its commit before the next post (an HTTP post has no moment to wait at, unlike
    # SMTP's final dot), but on a connection of its own: one autocommitted statement per post.
    writer = MarkWriter(session.get_bind(), result)
    lost: set[int] = set()
    try:
        for index, row in enumerate(rows):
            if not still_leading():
                log.error("调度器已失去领导权，停止发送本批其余%d条机器人消息", len(rows) - index)
                writer.call(_give_back, [r.id for r in rows[index:]], token)
                break
            if lease.due():
                lost = {r.id for r in rows[index:]} - writer.call(_renew, token, lease)
            if row.id in lost:
                log.warning("机器人消息 %s 已不归本进程发送（租约已过期），跳过", row.key)
                result.lost += 1
                continue
            target = targets.get(row.unit_id)
            if target is None:
                writer.call(_fail, row, "该单位已不再设置群机器人", permanent=True, **failure)
                continue
            try:
                robot.post(target, key=row.key, title=row.subject, text=row.body_text, timeout=config.timeout_seconds)
            except robot.RobotError as exc:
                writer.call(_fail, row, str(exc), permanent=False, **failure)
                continue
            writer.call(_mark_sent, row.id, row.key, token=token, now=now)
    finally:
        writer.close()
    return result


def _fail(conn, part, row, error, **failure):
    _failed(conn, row, error, result=part, **failure)


def _renew(conn, _part, token, lease):
    return renew(conn, token=token, lease=lease)


def _give_back(conn, _part, ids, token):
    give_back(conn, ids, token)


def _mark_sent(conn, part: DeliveryResult, row_id: int, key: str, *, token: str, now: datetime) -> None:
    # Right after the robot's success answer, in its own commit: the one window left is this commit.
    marked = conn.execute(update(OutboxMessage).where(
        OutboxMessage.id == row_id, OutboxMessage.claimed_by == token, OutboxMessage.status == OutboxStatus.SENDING,
    ).values(attempts=OutboxMessage.attempts + 1, status=OutboxStatus.SENT, sent_at=now, claimed_until=None,
             last_error=None).execution_options(synchronize_session=False)).rowcount
    conn.commit()
    if marked:
        part.sent += 1
    else:
        part.lost += 1
        log.error("机器人消息 %s 已发出，但其发送权已被其他进程接手：可能重复一条", key)
