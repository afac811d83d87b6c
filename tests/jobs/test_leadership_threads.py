"""The leadership connection is used by one thread at a time: on PostgreSQL the heartbeat job and the delivery
job (which asks before every message) run in different APScheduler threads over the one lock connection.
Started with every warning an error, the scheduler leads, delivers and heartbeats with no warning logged."""
import time

import pytest

from tests.escalation.conftest import at, received
from tests.jobs.procs import log_text, start_scheduler, stop, wait_for
from tracker.mail.outbox import enqueue_email

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]
LEADER = "调度器已成为领导者"


def test_scheduler_on_postgresql_logs_no_warning(app, db, smtp_server, tmp_path):
    for i in range(30):
        enqueue_email(db.session, key=f"threads:{i}", kind="test", template="unit_overdue", now=at("2026-03-02T09:00"),
                      context={"subject": f"测试邮件{i}", "unit_name": "青山镇", "tasks": [], "count": 0},
                      to_addresses=[f"user{i}@x.test"])
    db.session.commit()
    scheduler = start_scheduler(app, tmp_path / "scheduler.log", PYTHONWARNINGS="error",
                                TRACKER_HEARTBEAT_SECONDS="0.2", TRACKER_DELIVERY_SECONDS="1")
    try:
        wait_for(lambda: LEADER in log_text(scheduler), message="the scheduler to lead")
        wait_for(lambda: len(received(smtp_server)) == 30, timeout=60, message="delivery")
        time.sleep(3)  # many heartbeats beside the delivery job's checks
        assert scheduler.poll() is None, log_text(scheduler)[-3000:]
    finally:
        stop(scheduler)
    log = scheduler.log_path.read_text(encoding="utf-8", errors="replace")
    assert LEADER in log
    for marker in ("Warning", "warning", "Traceback", "失去领导权"):
        assert marker not in log, log[-3000:]


def test_lock_connection_answers_many_threads_at_once(app, db):
    """The heartbeat, delivery and scan threads ask still_held() together: every answer is True, no error."""
    import threading
    import warnings

    from jobs.leadership import PostgresLeadership

    leadership = PostgresLeadership(app.config["SQLALCHEMY_DATABASE_URI"])
    answers, errors = [], []

    def ask():
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for _ in range(40):
                try:
                    answers.append(leadership.still_held())
                except Exception as error:  # noqa: BLE001 - collected: the assertion shows them
                    errors.append(repr(error))

    try:
        assert leadership.try_acquire()
        threads = [threading.Thread(target=ask) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        leadership.release()
    assert errors == [] and answers == [True] * 320, (errors[:5], answers.count(False))
