"""Who runs the jobs. One scheduler leads; others wait and take over when it dies.

PostgreSQL: a session-level advisory lock, held on a dedicated connection for the leader's whole life;
the server releases it when that connection ends (process killed, host gone), so a waiting scheduler
gets it on its next try. The lock key is derived from database and schema, so separate databases (and
test schemas) never block each other. SQLite: an exclusive flock on a file next to the database
(<db file>.scheduler.lock, from the database's resolved real path, so two spellings of one path share one
lock and two databases never do), or on SCHEDULER_LOCK_FILE when that is set explicitly; the kernel
releases it when the process dies.

SchedulerLease rows (tracker.services.leases) only *show* the state (holder, heartbeat) and serialise scans.
"""
import fcntl
import os
import socket
import threading
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

LOCK_SQL = "SELECT pg_try_advisory_lock(hashtext(current_database() || '/' || current_schema() || '/zgdb-scheduler'))"
# The lock connection is dedicated to this one lock: any advisory lock it holds is ours.
HELD_SQL = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()"
UNLOCK_SQL = "SELECT pg_advisory_unlock(hashtext(current_database() || '/' || current_schema() || '/zgdb-scheduler'))"


def holder_name(prefix: str = "scheduler") -> str:
    return f"{prefix}:{socket.gethostname()}:{os.getpid()}"


class PostgresLeadership:
    def __init__(self, url: str):
        self.engine = create_engine(url, poolclass=NullPool)
        self.connection = None
        # The heartbeat job, the delivery job (still_leading before each message) and the main thread all
        # ask on this one connection, from different APScheduler worker threads; a SQLAlchemy Connection is
        # not thread-safe, so one of them at a time.
        self._lock = threading.Lock()

    def try_acquire(self) -> bool:
        with self._lock:
            if self.connection is None:
                self.connection = self.engine.connect()
            got = bool(self.connection.execute(text(LOCK_SQL)).scalar())
            self.connection.commit()  # end the implicit transaction; the session-level lock stays
        if got:
            _register(self)
        return got

    def still_held(self) -> bool:
        """The lock lives as long as the connection: a dead connection (or a lock released behind our back)
        means another may lead now. One round trip on the lock connection."""
        with self._lock:
            if self.connection is None:
                return False
            try:
                held = bool(self.connection.execute(text(HELD_SQL)).scalar())
                self.connection.commit()
                return held
            except Exception:  # noqa: BLE001 - any failure of the lock connection means leadership is gone
                return False

    def release(self) -> None:
        _unregister(self)
        with self._lock:
            if self.connection is not None:
                try:
                    self.connection.execute(text(UNLOCK_SQL))
                    self.connection.commit()
                except Exception:  # noqa: BLE001 - a dead lock connection has released the lock already
                    self.connection.invalidate()
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
        _register(self)
        return True

    def still_held(self) -> bool:
        return self.handle is not None

    def release(self) -> None:
        _unregister(self)
        if self.handle is not None:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


def scheduler_lock_path(current) -> str:
    """SCHEDULER_LOCK_FILE when set explicitly; else <database file>.scheduler.lock.

    The database path is resolved the way Flask-SQLAlchemy resolves it (relative to the instance folder)
    and then through os.path.realpath, so `./x.db`, an absolute path and a symlink to the same file all
    give one lock, and two databases never share one.
    """
    explicit = current.scheduler.lock_file
    if explicit:
        return explicit
    database = make_url(current.database_url).database
    instance = current.instance_dir
    if not database or database == ":memory:" or database.startswith("file:"):
        # An in-memory database lives in one process: nobody else can lead it. Keep a per-instance lock.
        return os.path.join(instance, "scheduler.lock")
    if not os.path.isabs(database):
        database = os.path.join(instance, database)
    return os.path.realpath(database) + ".scheduler.lock"


def leadership_for(current) -> "PostgresLeadership | FileLeadership":
    """`current`: the app's Settings (database URL, instance folder, SCHEDULER_LOCK_FILE)."""
    url = current.database_url
    if url.startswith("postgresql"):
        return PostgresLeadership(url)
    return FileLeadership(scheduler_lock_path(current))


# The leadership this process won, when it is a scheduler: the delivery job checks it before each batch and
# each message, so a leader that lost its lock stops sending at once, not at its next heartbeat.
_current: list = []


def _register(leadership) -> None:
    _current[:] = [leadership]


def _unregister(leadership) -> None:
    if _current and _current[0] is leadership:
        _current.clear()


def still_leading() -> bool:
    """True in a process that never led (`tracker jobs tick`, tests), or while this scheduler leads.
    A leader that released its lock normally has stopped its jobs already."""
    return not _current or _current[0].still_held()
