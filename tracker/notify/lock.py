"""Who runs the jobs. One scheduler leads; others wait and take over when it dies.

PostgreSQL: a session-level advisory lock, held on a dedicated connection for the leader's whole life;
the server releases it when that connection ends (process killed, host gone), so a waiting scheduler
gets it on its next try. The lock key is derived from database and schema, so separate databases (and
test schemas) never block each other. SQLite: an exclusive flock on SCHEDULER_LOCK_FILE, released by the
kernel when the process dies.

SchedulerLease rows only *show* the state (holder, heartbeat) and serialise scans by a row lock.
"""
import fcntl
import os
import socket
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, select, text, update
from sqlalchemy.pool import NullPool

from tracker.models.notify import SchedulerLease

LOCK_SQL = "SELECT pg_try_advisory_lock(hashtext(current_database() || '/' || current_schema() || '/zgdb-scheduler'))"
UNLOCK_SQL = "SELECT pg_advisory_unlock(hashtext(current_database() || '/' || current_schema() || '/zgdb-scheduler'))"


def holder_name(prefix: str = "scheduler") -> str:
    return f"{prefix}:{socket.gethostname()}:{os.getpid()}"


class PostgresLeadership:
    def __init__(self, url: str):
        self.engine = create_engine(url, poolclass=NullPool)
        self.connection = None

    def try_acquire(self) -> bool:
        if self.connection is None:
            self.connection = self.engine.connect()
        got = bool(self.connection.execute(text(LOCK_SQL)).scalar())
        self.connection.commit()  # end the implicit transaction; the session-level lock stays
        return got

    def still_held(self) -> bool:
        """The lock lives as long as the connection: a dead connection means another may lead now."""
        try:
            self.connection.execute(text("SELECT 1"))
            self.connection.commit()
            return True
        except Exception:  # noqa: BLE001 - any failure of the lock connection means leadership is gone
            return False

    def release(self) -> None:
        if self.connection is not None:
            try:
                self.connection.execute(text(UNLOCK_SQL))
                self.connection.commit()
            finally:
                self.connection.close()
                self.connection = None
        self.engine.dispose()


class FileLeadership:
    def __init__(self, path: str):
        self.path = Path(path)
        self.handle = None

    def try_acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 - kept open for the leader's life
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self.handle = handle
        return True

    def still_held(self) -> bool:
        return self.handle is not None

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


def leadership_for(config) -> "PostgresLeadership | FileLeadership":
    url = config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgresql"):
        return PostgresLeadership(url)
    return FileLeadership(config["SCHEDULER_LOCK_FILE"])


def _insert_ignore(session, name: str, holder: str, now: datetime) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(SchedulerLease).values(name=name, holder=holder, acquired_at=now, heartbeat_at=now,
                                                  runs=0).on_conflict_do_nothing(index_elements=["name"]))


def touch_lease(session, name: str, holder: str, now: datetime, *, acquired: bool = False) -> None:
    """Locks the row until the caller's commit: two scans of one database never overlap."""
    _insert_ignore(session, name, holder, now)
    values = {"holder": holder, "heartbeat_at": now, "runs": SchedulerLease.runs + 1}
    if acquired:
        values["acquired_at"] = now
    session.execute(update(SchedulerLease).where(SchedulerLease.name == name).values(**values))


def lease(session, name: str) -> SchedulerLease | None:
    return session.scalar(select(SchedulerLease).where(SchedulerLease.name == name))
