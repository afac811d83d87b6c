"""Claims, leases and failure marks shared by every channel's sender (mail in delivery.py, robots in
robot_delivery.py): the exactly-once rules of docs/exactly-once.md §4 live here once.

Two clocks, never mixed. Whether a row is *due* (next_attempt_at) is business time: the `now` handed to
the job, so `tracker jobs tick --now …` replays any moment. Whether a *claim* still holds (claimed_until)
is the real clock of `lease_now()`, the same for every sender: a tick with a past or future `--now`
running beside the scheduler therefore never judges the scheduler's claims expired (or its own eternal).
"""
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

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


@dataclass(frozen=True)
class Claimed:
    """A claimed row as plain values: the batch holds no ORM objects, so no commit expires or reloads it."""

    id: int
    key: str
    attempts: int
    channel: str
    to_addresses: list
    cc_addresses: list
    subject: str
    body_text: str
    body_html: str
    unit_id: int | None


_COLUMNS = (OutboxMessage.id, OutboxMessage.key, OutboxMessage.attempts, OutboxMessage.channel,
            OutboxMessage.to_addresses, OutboxMessage.cc_addresses, OutboxMessage.subject, OutboxMessage.body_text,
            OutboxMessage.body_html, OutboxMessage.unit_id)


def claim_lease_seconds() -> int:
    return settings().mail.claim_lease_seconds


def lease_now() -> datetime:
    """The real clock, for claim leases only (not the demo clock, not the job's `now`)."""
    return datetime.fromtimestamp(time.time(), UTC)


class Lease:
    """When this sender's claims must be renewed. A lease is written as lease_now() + seconds; counting
    from the monotonic moment *before* that value was taken, the claims are certainly still ours while
    less than `seconds` have passed. They are renewed once less than `margin` is left (half the lease, and
    at least two SMTP timeouts, i.e. one slow message with room): a batch shorter than half a lease is
    never renewed, and a sender paused for longer (GC, SIGSTOP, a slow server) renews before its next
    message and finds out which rows it lost. With a lease not above twice the timeout (a misconfiguration
    check_lease_settings warns of) the margin covers the whole lease: renewal before every message."""

    def __init__(self, seconds: int, timeout: float):
        self.seconds = seconds
        self.margin = max(seconds / 2, 2 * timeout)
        self.started = time.monotonic()

    def start(self) -> datetime:
        """The claimed_until to write now."""
        self.started = time.monotonic()
        return lease_now() + timedelta(seconds=self.seconds)

    def due(self) -> bool:
        return self.seconds - (time.monotonic() - self.started) < self.margin


def new_lease() -> Lease:
    config = settings().mail
    return Lease(config.claim_lease_seconds, config.timeout_seconds)


def renew(conn, *, token: str, lease: Lease | None = None) -> set[int]:
    """Extends the lease of every row this sender still holds; returns their ids (committed at once, so a
    concurrent claimer sees the new lease). `conn` is a session or a connection."""
    lease = lease or new_lease()
    held = (OutboxMessage.claimed_by == token) & (OutboxMessage.status == OutboxStatus.SENDING) & (
        OutboxMessage.claimed_until >= lease_now())
    ids = set(conn.execute(update(OutboxMessage).where(held).values(claimed_until=lease.start())
                           .returning(OutboxMessage.id).execution_options(synchronize_session=False)).scalars())
    conn.commit()
    return ids


def backoff(attempts: int, base: int) -> timedelta:
    return timedelta(seconds=base * (2 ** max(0, attempts - 1)))


def claim(session, *, now: datetime, token: str, limit: int, channel: str = Channel.EMAIL,
          lease: Lease | None = None) -> list[Claimed]:
    """Up to `limit` rows due at business time `now` (or whose claim ran out on the real clock), claimed
    for `token` in one commit: three statements whatever the batch size."""
    lease = lease or new_lease()
    due = (OutboxMessage.channel == channel) & or_(
        (OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.next_attempt_at <= now),
        (OutboxMessage.status == OutboxStatus.SENDING) & (OutboxMessage.claimed_until < lease_now()),
    )
    ids = session.scalars(select(OutboxMessage.id).where(due).order_by(OutboxMessage.id).limit(limit)
                          .with_for_update(skip_locked=True)).all()
    if not ids:
        session.commit()
        return []
    # The WHERE repeats the due condition: on SQLite (no row locks) a concurrent claimer loses here.
    session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids), due).values(
        status=OutboxStatus.SENDING, claimed_by=token, claimed_until=lease.start())
        .execution_options(synchronize_session=False))
    session.commit()
    rows = session.execute(select(*_COLUMNS).where(OutboxMessage.claimed_by == token,
                                                   OutboxMessage.status == OutboxStatus.SENDING)
                           .order_by(OutboxMessage.id)).all()
    session.commit()
    return [Claimed(r.id, r.key, r.attempts or 0, r.channel, r.to_addresses or [], r.cc_addresses or [],
                    r.subject or "", r.body_text or "", r.body_html or "", r.unit_id) for r in rows]


def give_back(conn, ids, token: str) -> None:
    """Unsent rows of a sender that stops early go back to pending at once (only those it still holds)."""
    conn.execute(update(OutboxMessage).where(
        OutboxMessage.id.in_(list(ids)), OutboxMessage.claimed_by == token,
        OutboxMessage.status == OutboxStatus.SENDING,
    ).values(status=OutboxStatus.PENDING, claimed_by=None, claimed_until=None).execution_options(
        synchronize_session=False))
    conn.commit()


def _always() -> bool:
    return True


def _failed(conn, row, error: str, *, permanent: bool, now, max_attempts, base, result, token) -> None:
    """Records a failed attempt, only while the claim is still ours (another sender's row is not touched).
    `conn` is a session or a connection; `row` anything with id, key, attempts and channel."""
    attempts = (row.attempts or 0) + 1
    values = {"attempts": attempts, "last_error": error[:ERROR_MAX], "claimed_until": None}
    if permanent or attempts >= max_attempts:
        values["status"] = OutboxStatus.FAILED
    else:
        values.update(status=OutboxStatus.PENDING, next_attempt_at=now + backoff(attempts, base))
    key, what = row.key, "机器人消息" if row.channel == Channel.ROBOT else "邮件"
    done = conn.execute(update(OutboxMessage).where(
        OutboxMessage.id == row.id, OutboxMessage.claimed_by == token, OutboxMessage.status == OutboxStatus.SENDING,
    ).values(**values).execution_options(synchronize_session=False)).rowcount
    conn.commit()
    if not done:
        result.lost += 1
        return
    if values["status"] == OutboxStatus.FAILED:
        result.failed += 1
    else:
        result.retried += 1
    result.errors.append((key, values["last_error"]))
    log.warning("%s %s 发送失败（第%d次）：%s", what, key, attempts, values["last_error"])
