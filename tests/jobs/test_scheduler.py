"""The scheduler process: one leader, takeover after kill -9, no loss and a bounded duplicate window,
gunicorn workers never scheduling, eight parallel ticks and two schedulers on PostgreSQL."""
import asyncio
import signal
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.conftest import SMTPRecorder, free_port
from tests.escalation.conftest import at, received
from tests.jobs.procs import log_text, run_tick, start_scheduler, stop, wait_for
from tracker.models import Role, User
from tracker.models.notify import OutboxMessage, OutboxStatus, SchedulerLease
from tracker.mail.outbox import enqueue_email

pytestmark = pytest.mark.slow
LEADER = "调度器已成为领导者"


def _holder(db):
    db.session.rollback()
    db.session.expire_all()
    row = db.session.get(SchedulerLease, "scheduler")
    return row.holder if row else None


def _enqueue(db, n: int):
    for i in range(n):
        enqueue_email(db.session, key=f"batch:{i}", kind="test", template="unit_overdue", now=at("2026-03-02T09:00"),
                      context={"subject": f"测试邮件{i}", "unit_name": "青山镇", "tasks": [], "count": 0},
                      to_addresses=[f"user{i}@x.test"])
    db.session.commit()


def test_second_scheduler_waits_and_takes_over_after_kill_9(app, db, smtp_server, tmp_path):
    first = start_scheduler(app, tmp_path / "first.log")
    second = None
    try:
        wait_for(lambda: LEADER in log_text(first), message="first scheduler to lead")
        assert _holder(db).endswith(f":{first.pid}")
        second = start_scheduler(app, tmp_path / "second.log")
        wait_for(lambda: "等待接管" in log_text(second), message="second scheduler to wait")
        assert LEADER not in log_text(second) and _holder(db).endswith(f":{first.pid}")
        first.send_signal(signal.SIGKILL)
        first.wait()
        wait_for(lambda: LEADER in log_text(second), timeout=20, message="takeover")
        wait_for(lambda: (_holder(db) or "").endswith(f":{second.pid}"), message="lease row to name the new leader")
        _enqueue(db, 3)  # and the new leader delivers
        wait_for(lambda: len(received(smtp_server)) == 3, message="delivery by the new leader")
    finally:
        stop(first)
        if second is not None:
            stop(second)


class SlowRecorder(SMTPRecorder):
    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.05)
        return await super().handle_DATA(server, session, envelope)


def test_sigkill_mid_batch_loses_nothing_and_duplicates_at_most_one(app, db, tmp_path):
    from aiosmtpd.controller import Controller

    recorder = SlowRecorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    total = 60
    _enqueue(db, total)
    first = start_scheduler(app, tmp_path / "first.log")
    second = None
    try:
        wait_for(lambda: len(received(recorder)) >= 10, message="the batch to be under way")
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert len(received(recorder)) < total  # killed in the middle of the batch
        second = start_scheduler(app, tmp_path / "second.log")
        wait_for(lambda: len({m["message"]["X-Tracker-Key"] for m in received(recorder)}) == total, timeout=60,
                 message="every row delivered after the restart")
        keys = [m["message"]["X-Tracker-Key"] for m in received(recorder)]
        assert len(keys) - len(set(keys)) <= 1  # docs/exactly-once.md: one mail per crashed sender at most
        db.session.expire_all()
        wait_for(lambda: db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                           .where(OutboxMessage.status == OutboxStatus.SENT)) == total
                 or db.session.rollback(), message="all rows marked sent")
    finally:
        stop(first)
        if second is not None:
            stop(second)
        controller.stop()


def test_gunicorn_with_three_workers_runs_no_scheduler(app, db, smtp_server, tmp_path):
    import urllib.request

    from tests.jobs.procs import BIN, child_env

    import subprocess

    port = free_port()
    web_log = open(tmp_path / "web.log", "wb")
    web = subprocess.Popen([str(BIN / "gunicorn"), "-w", "3", "-b", f"127.0.0.1:{port}", "tracker.wsgi:app"],
                           env=child_env(app), stdout=web_log, stderr=subprocess.STDOUT)
    scheduler = None
    try:
        wait_for(lambda: _get(urllib.request, port) == 200, timeout=30, message="gunicorn to answer")
        for _ in range(6):
            assert _get(urllib.request, port) == 200
        assert _holder(db) is None  # three workers served requests; none started a scheduler
        scheduler = start_scheduler(app, tmp_path / "scheduler.log")
        wait_for(lambda: LEADER in log_text(scheduler), message="the scheduler to lead")
        assert _holder(db).endswith(f":{scheduler.pid}")
        _enqueue(db, 2)
        wait_for(lambda: len(received(smtp_server)) == 2, message="delivery")
        web_log.flush()
        assert (tmp_path / "web.log").read_text(encoding="utf-8").count(LEADER) == 0
        assert log_text(scheduler).count(LEADER) == 1
        assert db.session.scalar(select(func.count()).select_from(SchedulerLease)
                                 .where(SchedulerLease.name == "scheduler")) == 1
    finally:
        stop(web)
        web_log.close()
        if scheduler is not None:
            stop(scheduler)


def _get(urllib_request, port: int) -> int:
    try:
        with urllib_request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            return response.status
    except OSError:
        return 0


def _many_owners(db, people, n: int):
    users = [User(name=f"书记{i}", username=f"owner{i}", email=f"owner{i}@town.test", role=Role.SECRETARY,
                  unit_id=people.unit.id) for i in range(n)]
    db.session.add_all(users)
    db.session.flush()
    return users


@pytest.mark.postgres_only
def test_eight_ticks_in_parallel_send_each_notice_once(app, db, people, smtp_server):
    owners = _many_owners(db, people, 40)
    for i, owner in enumerate(owners):
        people.task(db.session, deadline=date(2026, 3, 31), owner=owner, text=f"问题{i}")
    db.session.commit()
    ticks = [run_tick(app, "2026-03-24T09:00") for _ in range(8)]
    for process in ticks:
        _out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
    keys = [m["message"]["X-Tracker-Key"] for m in received(smtp_server)]
    assert len(keys) == len(set(keys)) == 40
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 40


@pytest.mark.postgres_only
def test_two_schedulers_over_500_due_tasks_send_exactly_500(app, db, people, smtp_server, tmp_path):
    from jobs.tasks import scan_job

    owners = _many_owners(db, people, 500)
    for i, owner in enumerate(owners):
        people.task(db.session, deadline=date(2026, 3, 31), owner=owner, text=f"问题{i}")
    db.session.commit()
    assert scan_job(at("2026-03-24T09:00")).notices == 500
    expected = set(db.session.scalars(select(OutboxMessage.key)))
    assert len(expected) == 500
    schedulers = [start_scheduler(app, tmp_path / f"s{i}.log") for i in range(2)]
    try:
        # The schedulers run on the real clock: in the county's notice hours their own scan and the weekly
        # 周报 add mails of today. Those are other notices; the 500 of March must each arrive exactly once.
        wait_for(lambda: expected <= {m["message"]["X-Tracker-Key"] for m in received(smtp_server)}, timeout=90,
                 message="500 mails")
        import time

        time.sleep(2)  # both schedulers get the chance to send more: they must not
        keys = [m["message"]["X-Tracker-Key"] for m in received(smtp_server)]
        assert len(keys) == len(set(keys)) and expected <= set(keys)
        assert sum(LEADER in log_text(s) for s in schedulers) == 1
    finally:
        for process in schedulers:
            stop(process)
