"""Outbox rows written in sets: shared by the outbox and the day's mail, which both insert many at once."""
from sqlalchemy import insert, select

from tracker.models.notify import Channel, OutboxMessage

_CHUNK = 500  # keys per IN (…) when reading the rows back


def insert_outbox_rows(session, values: list[dict], *, read_back: bool = True) -> list[OutboxMessage]:
    """Outbox rows in one executemany INSERT, returned as objects in the same order (`read_back=False`:
    not read back, an empty list: rows that only take their key, like a scan's delegated notices).

    The database numbers the rows (no id is taken beforehand: an id read from max(id) before holding
    SQLite's write lock could be taken by another writer meanwhile — a UNIQUE failure on outbox_message.id);
    they are read back by their key, which is unique. outbox_message refers to itself (digest_id), and the
    ORM's flush would insert such rows one at a time."""
    if not values:
        return []
    session.flush()
    session.execute(insert(OutboxMessage), [{"channel": Channel.EMAIL, **v} for v in values])
    if not read_back:
        return []
    keys = [v["key"] for v in values]
    found = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start:start + _CHUNK]
        found.update({row.key: row for row in session.scalars(select(OutboxMessage).where(OutboxMessage.key.in_(chunk)))})
    return [found[k] for k in keys]
