"""What a delivered mail costs the database, and whose clock a claim lease runs on: a regression to
per-message statements, or to leases judged by each sender's business `now`, fails here."""
import threading
import time
from datetime import timedelta

from sqlalchemy import event, func, select

from tests.escalation.conftest import at
from tests.mail.test_outbox_lease import SlowRecorder, _keys, _slow_server
from tracker.extensions import db as _db
from tracker.mail.delivery import deliver
from tracker.mail.outbox import enqueue_email
from tracker.models.notify import OutboxMessage, OutboxStatus
from tracker.models.types import utcnow

PAST = at("2026-03-02T09:00")


def _enqueue(db, n: int, prefix: str, now=PAST):
    for i in range(n):
        enqueue_email(db.session, key=f"{prefix}:{i}", kind="test", template="unit_overdue", now=now,
                      context={"subject": f"【提醒】测试{i}", "unit_name": "青山镇", "tasks": [], "count": 0,
                               "threshold": 3, "today": ""}, to_addresses=[f"u{i}@x.test"], cc_addresses=["zzb@x.test"])
    db.session.commit()


def _statements(db, fn) -> int:
    """Statements sent to the database while fn runs, on every connection and thread (the mark writer's too)."""
    count = [0]

    def counted(*_args):
        count[0] += 1

    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)
    return count[0]


def test_a_delivered_mail_costs_one_statement_whatever_the_batch_size(app, db, smtp_server):
    app.config.update(MAIL_BATCH_SIZE=200)
    costs = {}
    for n in (10, 100):
        _enqueue(db, n, prefix=f"n{n}")
        results = []

        def run(into=results):
            into.append(deliver(db.session, now=PAST + timedelta(minutes=1)))
        costs[n] = _statements(db, run)
        assert results[0].sent == n and results[0].claimed == n
    assert len(smtp_server.messages) == 110
    # One durable UPDATE per mail (its mark), and a fixed cost per batch (claim, the robots' empty claim).
    assert costs[100] - costs[10] == 90, costs
    assert costs[10] - 10 <= 8, costs


def test_senders_with_different_business_times_send_each_mail_once(app, db):
    """`tracker jobs tick --now <past>` beside the scheduler: the tick's claims (written while its `now` is
    months ago) must not look expired to the scheduler judging them on today's clock, nor the other way."""
    recorder = SlowRecorder(0.1)
    controller = _slow_server(app, recorder)
    total = 12  # about 1.2 s of sending by whichever sender holds them
    _enqueue(db, total, prefix="clock")
    results = {"tick": []}

    def tick_with_past_now():
        with app.app_context():
            results["tick"].append(deliver(_db.session, now=PAST + timedelta(minutes=5), worker="tick"))
            _db.session.remove()

    thread = threading.Thread(target=tick_with_past_now)
    scheduler = []
    try:
        thread.start()
        time.sleep(0.15)  # the tick holds the batch and is sending it
        while thread.is_alive():
            scheduler.append(deliver(db.session, now=utcnow(), worker="scheduler:host:1"))
            time.sleep(0.05)
        thread.join()
        scheduler.append(deliver(db.session, now=utcnow(), worker="scheduler:host:1"))
    finally:
        thread.join()
        controller.stop()
    keys = _keys(recorder)
    assert len(keys) == len(set(keys)) == total, keys
    assert results["tick"][0].sent == total and sum(r.sent for r in scheduler) == 0
    assert sum(r.claimed for r in scheduler) == 0 and all(r.lost == 0 for r in results["tick"] + scheduler)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.status == OutboxStatus.SENT)) == total


def test_a_future_business_time_does_not_take_over_a_running_batch(app, db):
    """The other way round: a tick replaying a moment after the lease (--now next week) beside a scheduler."""
    recorder = SlowRecorder(0.1)
    controller = _slow_server(app, recorder)
    total = 10
    _enqueue(db, total, prefix="future", now=utcnow())
    results = {}

    def scheduler_sender():
        with app.app_context():
            results["scheduler"] = deliver(_db.session, now=utcnow(), worker="scheduler:host:1")
            _db.session.remove()

    thread = threading.Thread(target=scheduler_sender)
    ticks = []
    try:
        thread.start()
        time.sleep(0.15)
        while thread.is_alive():
            ticks.append(deliver(db.session, now=utcnow() + timedelta(days=7), worker="tick"))
            time.sleep(0.05)
        thread.join()
    finally:
        thread.join()
        controller.stop()
    keys = _keys(recorder)
    assert len(keys) == len(set(keys)) == total, keys
    assert results["scheduler"].sent == total and sum(r.sent for r in ticks) == 0


class MarkWatcher(SlowRecorder):
    """At each message's final "." (the moment the server takes it) counts the rows marked sent, through a
    connection of its own: every message taken before must be marked by then, or a crash now would resend
    more than the one in flight."""

    def __init__(self, url: str):
        super().__init__(0)
        from sqlalchemy import create_engine

        self.engine = create_engine(url)
        self.seen: list[tuple[int, int]] = []

    async def handle_DATA(self, server, session, envelope):
        with self.engine.connect() as conn:
            marked = conn.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.status == OutboxStatus.SENT))
        with self.lock:
            self.seen.append((len(self.messages), marked))
        return await super().handle_DATA(server, session, envelope)


def test_every_accepted_mail_is_marked_before_the_server_takes_the_next(app, db):
    watcher = MarkWatcher(app.config["SQLALCHEMY_DATABASE_URI"])
    controller = _slow_server(app, watcher)
    total = 40
    _enqueue(db, total, prefix="order")
    try:
        assert deliver(db.session, now=PAST + timedelta(minutes=1)).sent == total
    finally:
        controller.stop()
        watcher.engine.dispose()
    assert [taken for taken, _marked in watcher.seen] == list(range(total))
    assert all(marked == taken for taken, marked in watcher.seen), watcher.seen
