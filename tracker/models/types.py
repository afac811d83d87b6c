"""Column types shared by the models."""
from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from tracker.timeutil import demo_offset


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, hands back aware UTC: SQLite has no time zones, so the database never decides."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def utcnow() -> datetime:
    """The one "now" of the app: the wall clock, moved by the demo clock when one is set (tracker.timeutil)."""
    offset = demo_offset()
    now = datetime.now(timezone.utc)
    return now + offset if offset is not None else now
