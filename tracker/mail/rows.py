"""Outbox rows written in sets: shared by the outbox and the day's mail, which both insert many at once."""
from sqlalchemy import select

from tracker.models.notify import Channel, OutboxMessage


def insert_outbox_rows(session, values: list[dict]) -> list[OutboxMessage]:
    """Outbox rows in one INSERT, returned as objects in the same order. outbox_message refers to itself
    (digest_id), and the ORM's flush inserts such rows one at a time: so the ids are taken first (one
    nextval() series on PostgreSQL; max(id) under SQLite's write lock), the rows inserted with them in
    one executemany, and read back in one SELECT."""
    if not values:
        return []
    from sqlalchemy import func, insert, text

    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.scalars(text("SELECT nextval(pg_get_serial_sequence('outbox_message', 'id')) "
                                        "FROM generate_series(1, :n)"), {"n": len(values)}))
    else:
        start = session.scalar(select(func.max(OutboxMessage.id))) or 0
        ids = list(range(start + 1, start + 1 + len(values)))
    session.execute(insert(OutboxMessage), [{"id": i, "channel": Channel.EMAIL, **v} for i, v in zip(ids, values)])
    found = {row.id: row for row in session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))}
    return [found[i] for i in ids]


def assign_ids(session, model, objects) -> None:
    """On SQLite, numbers new rows from max(id) so that the flush inserts them in one executemany: without
    a known key the ORM inserts row by row there (SQLite's RETURNING order is not guaranteed). Safe: the
    caller holds SQLite's write lock (it has written already), so nobody else inserts meanwhile. Call it
    before adding `objects` to the session. PostgreSQL batches the INSERT … RETURNING itself."""
    objects = [o for o in objects if o.id is None]
    if len(objects) < 2 or session.get_bind().dialect.name != "sqlite":
        return
    from sqlalchemy import func

    session.flush()  # our own pending rows first, so max(id) counts them
    start = session.scalar(select(func.max(model.id))) or 0
    for offset, obj in enumerate(objects, 1):
        obj.id = start + offset
