"""The marks of a batch (sent, failed, renewed, given back), written by one thread on one connection of its
own, so that a durable commit runs while the next message is already on its way to the server.

Why a thread: a commit that survives a power loss costs an fsync (2.5 ms on SQLite with synchronous=FULL,
3.4 ms on PostgreSQL with synchronous_commit on, measured on this machine), about as long as one whole
SMTP transaction. Weakening it (synchronous=NORMAL, `SET LOCAL synchronous_commit = off`) would let a
power loss roll back several marks, i.e. resend several mails: the exactly-once bound allows one. So the
commit stays durable, and delivery.py only waits for it right before the final "." of the next message,
the moment the server takes that message: until then the next message can still be abandoned.

Every write is one autocommitted statement (one round trip, no BEGIN/COMMIT pair). Only the calling thread
touches the batch's DeliveryResult: each write counts into a part of its own, merged by settle().
"""
import logging
from concurrent.futures import Future, ThreadPoolExecutor

from tracker.mail.claims import DeliveryResult

log = logging.getLogger("tracker.delivery")
_COUNTS = ("claimed", "sent", "retried", "failed", "lost")


class MarkWriter:
    def __init__(self, engine, result: DeliveryResult):
        self._engine, self._result = engine, result
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-marks")
        self._conn = None
        self._sqlite_sync = None
        self._outstanding: list[Future] = []

    def submit(self, fn, *args, **kwargs) -> None:
        """fn(connection, part, *args, **kwargs) on the writer's thread, after every write submitted before."""
        part = DeliveryResult()
        future = self._pool.submit(self._run, fn, part, args, kwargs)
        future.part = part
        self._outstanding.append(future)

    def call(self, fn, *args, **kwargs):
        """submit, then wait for it (and everything before it); returns fn's value."""
        part = DeliveryResult()
        future = self._pool.submit(self._run, fn, part, args, kwargs)
        future.part = part
        self._outstanding.append(future)
        self.settle()
        return future.result()

    def settle(self) -> None:
        """Waits until every write so far is committed; raises the first one's error."""
        futures, self._outstanding = self._outstanding, []
        error = None
        for future in futures:
            try:
                future.result()
            except Exception as exc:  # noqa: BLE001 - re-raised below, after the others have finished
                error = error or exc
                continue
            for name in _COUNTS:
                setattr(self._result, name, getattr(self._result, name) + getattr(future.part, name))
            self._result.errors += future.part.errors
        if error is not None:
            raise error

    def close(self) -> None:
        """Lets the writes in progress finish (their errors were, or will be, raised by settle) and hands the
        connection back as it was found."""
        for future in self._outstanding:
            future.exception()
        try:
            self._pool.submit(self._close_connection).result()
        finally:
            self._pool.shutdown(wait=True)

    def _run(self, fn, part, args, kwargs):
        return fn(self._connection(), part, *args, **kwargs)

    def _connection(self):
        if self._conn is None:
            conn = self._engine.connect()
            if conn.dialect.name == "sqlite":
                # The app runs SQLite with synchronous=NORMAL (WAL): a commit survives a killed process but
                # not a power loss. The marks must survive both, so this one connection commits with FULL.
                self._sqlite_sync = conn.exec_driver_sql("PRAGMA synchronous").scalar()
                conn.exec_driver_sql("PRAGMA synchronous=FULL")
                conn.commit()
            self._conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        return self._conn

    def _close_connection(self) -> None:
        if self._conn is None:
            return
        try:
            if self._sqlite_sync is not None:
                self._conn.exec_driver_sql(f"PRAGMA synchronous={int(self._sqlite_sync)}")
        except Exception:
            log.exception("发件标记连接无法复原，已丢弃")
            self._conn.invalidate()
        finally:
            self._conn.close()
            self._conn = None
