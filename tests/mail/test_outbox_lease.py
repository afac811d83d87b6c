"""The duplicate window: a sender renews its lease between messages and sends a row only while its claim is
still its own; a leader that lost its PostgreSQL advisory lock stops sending at once."""
import asyncio
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select, text

from jobs import leadership as lock
from tests.conftest import SMTPRecorder, free_port
from tests.escalation.conftest import at
from tracker.extensions import db as _db
from tracker.mail.delivery import check_lease_settings, deliver
from tracker.mail.outbox import enqueue_email
from tracker.models.notify import OutboxMessage, OutboxStatus
from tracker.models.types import utcnow


class SlowRecorder(SMTPRecorder):
    def __init__(self, seconds: float, after_each=None):
        super().__init__()
        self.seconds, self.after_each = seconds, after_each

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.seconds)
        answer = await super().handle_DATA(server, session, envelope)
        if self.after_each is not None:
            self.after_each(len(self.messages))
        return answer


def _slow_server(app, recorder):
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    return controller


def _enqueue(db, n: int):
    for i in range(n):
        enqueue_email(db.session, key=f"lease:{i}", kind="test", template="unit_overdue", now=at("2026-03-02T09:00"),
                      context={"subject": f"【提醒】测试{i}", "unit_name": "青山镇", "tasks": [], "count": 0,
                               "threshold": 3, "today": ""}, to_addresses=[f"u{i}@x.test"])
    db.session.commit()


def _keys(recorder):
    with recorder.lock:
        return [m["message"]["X-Tracker-Key"] for m in recorder.messages]


def test_a_batch_longer_than_the_lease_is_not_resent_by_a_second_sender(app, db):
    recorder = SlowRecorder(0.35)
    controller = _slow_server(app, recorder)
    app.config.update(MAIL_CLAIM_LEASE_SECONDS=1, MAIL_TIMEOUT_SECONDS=5)
    total = 8  # about 3 s of sending against a lease of 1 s
    _enqueue(db, total)
    first_result = {}

    def first_sender():
        with app.app_context():
            first_result["r"] = deliver(_db.session, now=utcnow(), worker="first")
            _db.session.remove()

    thread = threading.Thread(target=first_sender)
    try:
        thread.start()
        time.sleep(1.3)  # the first batch's original lease has run out by now
        second = []
        while thread.is_alive():
            second.append(deliver(db.session, now=utcnow(), worker="second"))
            time.sleep(0.2)
        thread.join()
        second.append(deliver(db.session, now=utcnow(), worker="second"))
    finally:
        thread.join()
        controller.stop()
    keys = _keys(recorder)
    assert len(keys) == len(set(keys)) == total, keys
    assert first_result["r"].sent == total and sum(r.sent for r in second) == 0
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.status == OutboxStatus.SENT)) == total


def test_a_sender_that_lost_its_claim_skips_the_row(app, db, smtp_server):
    """A lease that ran out during one slow message: the row belongs to whoever claimed it since."""
    app.config.update(MAIL_CLAIM_LEASE_SECONDS=1)
    _enqueue(db, 2)
    from tracker.mail import delivery

    rows = delivery.claim(db.session, now=utcnow(), token="old:1", limit=10)
    assert len(rows) == 2
    # Leases run on the real clock: a later business `now` does not make them run out ...
    assert delivery.claim(db.session, now=utcnow() + timedelta(hours=1), token="new:1", limit=10) == []
    time.sleep(1.1)  # ... real time does, and another sender takes the rows over
    taken = delivery.claim(db.session, now=utcnow(), token="new:1", limit=10)
    assert {r.id for r in taken} == {r.id for r in rows}
    assert delivery.renew(db.session, token="old:1") == set()
    assert delivery.renew(db.session, token="new:1") == {r.id for r in rows}


def test_the_lease_must_outlast_a_slow_message(app):
    app.config.update(MAIL_CLAIM_LEASE_SECONDS=30, MAIL_TIMEOUT_SECONDS=20)
    assert "MAIL_CLAIM_LEASE_SECONDS" in check_lease_settings(app.config.settings.mail)
    app.config.update(MAIL_CLAIM_LEASE_SECONDS=300, MAIL_TIMEOUT_SECONDS=20)
    assert check_lease_settings(app.config.settings.mail) is None


@pytest.mark.postgres_only
def test_a_leader_that_lost_its_advisory_lock_stops_sending_at_once(app, db):
    leadership = lock.leadership_for(app.config.settings)
    assert leadership.try_acquire() and lock.still_leading()
    pid = leadership.connection.execute(text("SELECT pg_backend_pid()")).scalar()
    leadership.connection.commit()
    admin = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])

    def lose_lock_after_first(count):
        if count == 1:  # the lock connection dies (network, server restart, an operator)
            with admin.begin() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    recorder = SlowRecorder(0.05, after_each=lose_lock_after_first)
    controller = _slow_server(app, recorder)
    _enqueue(db, 5)
    try:
        result = deliver(db.session, now=utcnow(), worker="scheduler:x:1", still_leading=lock.still_leading)
        assert not lock.still_leading()
        assert len(_keys(recorder)) == 1 and result.sent == 1
        # the rest went back to pending for the new leader, and nothing more is sent by this one
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.status == OutboxStatus.PENDING)) == 4
        assert deliver(db.session, now=utcnow(), worker="scheduler:x:1", still_leading=lock.still_leading).claimed == 0
    finally:
        controller.stop()
        leadership.release()
        admin.dispose()
    assert lock.still_leading()  # released: this process is no scheduler any more
