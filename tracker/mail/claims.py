"""Claims, leases and failure marks shared by every channel's sender (mail in delivery.py, robots in
robot_delivery.py): the exactly-once rules of docs/exactly-once.md §4 live here once."""
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from tracker.models.notify import Channel, OutboxMessage, OutboxStatus
from tracker.settings import settings

log = logging.getLogger("tracker.delivery")
ERROR_MAX = 2000


@dataclass
class DeliveryResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    lost: int = 0  # rows whose claim another sender took over (skipped, or sent once by each at worst)
    errors: list = field(default_factory=list)


def claim_lease_seconds() -> int:
    return settings().mail.claim_lease_seconds


class Clock:
    """The injected `now` moved on by the real time spent since: leases are compared in one time base."""

    def __init__(self, now: datetime):
        self.start, self.started = now, time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.started)


def renew(session, *, token: str, now: datetime) -> set[int]:
    """Extends the lease of every row this sender still holds; returns their ids (committed at once, so a
    concurrent claimer sees the new lease)."""
    held = (OutboxMessage.claimed_by == token) & (OutboxMessage.status == OutboxStatus.SENDING) & (
        OutboxMessage.claimed_until >= now)
    ids = set(session.execute(update(OutboxMessage).where(held)
                              .values(claimed_until=now + timedelta(seconds=claim_lease_seconds()))
                              .returning(OutboxMessage.id).execution_options(synchronize_session=False)).scalars())
    session.commit()
    return ids


def backoff(attempts: int, base: int) -> timedelta:
    return timedelta(seconds=base * (2 ** max(0, attempts - 1)))


def claim(session, *, now: datetime, token: str, limit: int, channel: str = Channel.EMAIL) -> list[OutboxMessage]:
    due = (OutboxMessage.channel == channel) & or_(
        (OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.next_attempt_at <= now),
        (OutboxMessage.status == OutboxStatus.SENDING) & (OutboxMessage.claimed_until < now),
    )
    ids = session.scalars(select(OutboxMessage.id).where(due).order_by(OutboxMessage.id).limit(limit)
                          .with_for_update(skip_locked=True)).all()
    if not ids:
        session.commit()
        return []
    # The WHERE repeats the due condition: on SQLite (no row locks) a concurrent claimer loses here.
    session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids), due).values(
        status=OutboxStatus.SENDING, claimed_by=token, claimed_until=now + timedelta(seconds=claim_lease_seconds())))
    session.commit()
    return session.scalars(select(OutboxMessage).where(OutboxMessage.claimed_by == token,
                                                       OutboxMessage.status == OutboxStatus.SENDING)
                           .order_by(OutboxMessage.id)).all()


def _always() -> bool:
    return True


def _failed(session, row, error: str, *, permanent: bool, now, max_attempts, base, result, token) -> None:
    """Records a failed attempt, only while the claim is still ours (another sender's row is not touched)."""
    attempts = (row.attempts or 0) + 1
    values = {"attempts": attempts, "last_error": error[:ERROR_MAX], "claimed_until": None}
    if permanent or attempts >= max_attempts:
        values["status"] = OutboxStatus.FAILED
    else:
        values.update(status=OutboxStatus.PENDING, next_attempt_at=now + backoff(attempts, base))
    key, what = row.key, "机器人消息" if row.channel == Channel.ROBOT else "邮件"
    done = session.execute(update(OutboxMessage).where(
        OutboxMessage.id == row.id, OutboxMessage.claimed_by == token, OutboxMessage.status == OutboxStatus.SENDING,
    ).values(**values).execution_options(synchronize_session=False)).rowcount
    session.commit()
    if isinstance(row, OutboxMessage) and row in session:
        session.expire(row)
    if not done:
        result.lost += 1
        return
    if values["status"] == OutboxStatus.FAILED:
        result.failed += 1
    else:
        result.retried += 1
    result.errors.append((key, values["last_error"]))
    log.warning("%s %s 发送失败（第%d次）：%s", what, key, attempts, values["last_error"])
