"""Outbox rows in sets take their ids from the database: another writer inserting between our reads and our
INSERT (the weekly digest next to a scan) cannot make us reuse its id (once seen as SQLite's
"UNIQUE constraint failed: outbox_message.id", when ids were counted from max(id) before the write lock)."""
from sqlalchemy import create_engine, event, func, insert, select

from tracker.mail.rows import insert_outbox_rows
from tracker.models.notify import Channel, OutboxMessage
from tracker.models.types import utcnow


def _row(key: str, now) -> dict:
    return {"key": key, "kind": "test", "to_addresses": ["a@town.test"], "cc_addresses": [], "subject": "通知",
            "body_text": "正文", "body_html": "", "status": "pending", "attempts": 0, "next_attempt_at": now,
            "created_at": now}


def test_another_writer_between_our_read_and_our_insert_takes_no_id_of_ours(app, db):
    now = utcnow()
    session = db.session
    session.execute(insert(OutboxMessage), [{"channel": Channel.EMAIL, **_row("before", now)}])
    session.commit()
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    fired = []

    def meanwhile(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX_MESSAGE") and not fired:
            fired.append(True)
            with other.begin() as connection:  # commits before our INSERT runs
                connection.execute(insert(OutboxMessage), [{"channel": Channel.EMAIL, **_row("theirs", now)}])

    event.listen(db.engine, "before_cursor_execute", meanwhile)
    try:
        rows = insert_outbox_rows(session, [_row("ours-1", now), _row("ours-2", now)])
        session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", meanwhile)
        other.dispose()
    assert fired
    assert [r.key for r in rows] == ["ours-1", "ours-2"] and len({r.id for r in rows}) == 2
    keys = dict(session.execute(select(OutboxMessage.key, OutboxMessage.id)).all())
    assert set(keys) == {"before", "theirs", "ours-1", "ours-2"} and len(set(keys.values())) == 4
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 4
