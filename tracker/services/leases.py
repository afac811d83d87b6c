"""SchedulerLease rows: who ran a job last and when (shown on the dashboard), and a row lock that
serialises scans of one database. Leadership itself is jobs.leadership's lock, not these rows."""
from datetime import datetime

from sqlalchemy import select, update

from tracker.models.notify import SchedulerLease


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
