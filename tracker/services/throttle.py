"""Login throttling: failures counted in the database per account name and per client address, so the
limit holds across several gunicorn workers and app hosts (an in-memory counter would multiply it).

The address is request.remote_addr; behind a reverse proxy set PROXY_FIX_X_FOR so that it is the client's.
"""
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.models import User
from tracker.models.accounts import LoginThrottle
from tracker.timeutil import cn_datetime


@dataclass(frozen=True)
class ThrottleRules:
    max_failures: int  # per account name
    lock_minutes: int
    max_ip_failures: int  # per client address: higher, since a whole office may share one address
    timezone: str | None = None  # for the unlock time shown to a locked-out address

    @classmethod
    def from_settings(cls, current) -> "ThrottleRules":
        return cls(max_failures=current.login.max_failures, lock_minutes=current.login.lock_minutes,
                   max_ip_failures=current.login.max_failures_per_ip, timezone=current.timezone)

    @property
    def lock(self) -> timedelta:
        return timedelta(minutes=self.lock_minutes)

    def locked_message(self) -> str:
        # The same words whether or not the account exists.
        return f"登录失败次数过多，已暂时锁定，请{self.lock_minutes}分钟后再试"

    def address_locked_message(self, until: datetime) -> str:
        # Says nothing about any account: only that this address is refused, and until when.
        return f"登录失败次数过多，您所在网络地址已暂时锁定，将于{cn_datetime(until, self.timezone)}解除，请届时再试"


_DUMMY_HASH: list[str] = []


def spend_password_check(password: str) -> None:
    """Checks against a throwaway hash so an unknown name costs as much time as a known one."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(generate_password_hash(secrets.token_hex(16), method="scrypt"))
    check_password_hash(_DUMMY_HASH[0], password or "")


def throttle_keys(user: User | None, identifier: str, ip: str | None) -> list[tuple[str, str, str]]:
    account_key = f"user:{user.id}" if user is not None else "name:" + (identifier or "").strip().lower()[:200]
    return [("account", account_key, "max_failures"), ("ip", (ip or "unknown")[:100], "max_ip_failures")]


def locked_until(session, scope: str, key: str, now: datetime) -> datetime | None:
    return session.scalar(
        select(LoginThrottle.locked_until)
        .where(LoginThrottle.scope == scope, LoginThrottle.key == key, LoginThrottle.locked_until > now)
    )


def forget_old_failures(session, now: datetime, window: timedelta) -> None:
    """Deletes counters nobody has failed on for a whole window and that lock nothing.

    Runs on every attempt; the table stays small because of it, so the DELETE needs no index. Without
    it, password spraying over made-up names would grow login_throttle without bound.
    """
    cutoff = now - window
    session.execute(
        delete(LoginThrottle)
        .where(LoginThrottle.last_failure_at < cutoff,
               or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now))
        .execution_options(synchronize_session=False)
    )


def count_failure(session, scope: str, key: str, *, now: datetime, limit: int, lock: timedelta) -> bool:
    """Atomically adds one failure (UPDATE … failures + 1, safe across workers); True when now locked."""
    where = (LoginThrottle.scope == scope, LoginThrottle.key == key)
    window_start = now - lock
    for _attempt in range(2):  # a second time if another worker's clean-up deleted the row meanwhile
        if session.scalar(select(LoginThrottle.id).where(*where)) is None:
            try:
                with session.begin_nested():
                    session.add(LoginThrottle(scope=scope, key=key, failures=0))
            except IntegrityError:
                pass  # another worker created it first: the UPDATE below counts on its row
        counted = session.execute(
            update(LoginThrottle).where(*where).values(
                # Failures older than the lock period are forgiven: counting starts again.
                failures=case(
                    (or_(LoginThrottle.last_failure_at.is_(None), LoginThrottle.last_failure_at <= window_start), 1),
                    else_=LoginThrottle.failures + 1,
                ),
                last_failure_at=now,
            ).execution_options(synchronize_session=False)
        ).rowcount
        if counted:
            break
    failures = session.scalar(select(LoginThrottle.failures).where(*where)) or 0
    if failures >= limit:
        session.execute(update(LoginThrottle).where(*where).values(locked_until=now + lock)
                        .execution_options(synchronize_session=False))
        return True
    return False
