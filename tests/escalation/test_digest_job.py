"""The weekly 周报 job: on the first working-day morning of the week, once, through the outbox."""
from datetime import date

from sqlalchemy import func, select

from tests.escalation.conftest import received
from tracker.models.notify import OutboxMessage


def digest_rows(db):
    return db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.key.like("digest:%:20%")))


def test_weekly_digest_is_written_once_on_a_working_morning(app, db, people, smtp_server):
    people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    runner = app.test_cli_runner()

    early = runner.invoke(args=["jobs", "digest", "--now", "2026-03-02T08:00"])  # Monday, before NOTICE_HOUR
    assert early.exit_code == 0 and "新生成周报0份" in early.output
    weekend = runner.invoke(args=["jobs", "digest", "--now", "2026-03-07T10:00"])  # Saturday
    assert "新生成周报0份" in weekend.output
    assert digest_rows(db) == 0

    monday = runner.invoke(args=["jobs", "digest", "--now", "2026-03-02T09:30"])
    assert monday.exit_code == 0, monday.output
    written = digest_rows(db)
    assert written >= 2  # the organization department and the unit's secretary
    assert "新生成周报0份" in runner.invoke(args=["jobs", "digest", "--now", "2026-03-04T10:00"]).output
    assert digest_rows(db) == written

    runner.invoke(args=["jobs", "tick", "--now", "2026-03-02T09:40"])
    keys = [m["message"]["X-Tracker-Key"] for m in received(smtp_server)]
    assert sum(k.startswith("digest:") for k in keys) == written
    assert runner.invoke(args=["jobs", "digest", "--now", "2026-03-09T09:30"]).exit_code == 0
    assert digest_rows(db) > written  # a new ISO week, new digests


def test_digest_job_is_scheduled(app):
    from jobs.scheduler import build_scheduler

    class NoLeadership:
        def still_held(self):
            return True

    scheduler = build_scheduler(app, "test", NoLeadership())
    assert {job.id for job in scheduler.get_jobs()} >= {"scan", "deliver", "digest", "heartbeat"}
