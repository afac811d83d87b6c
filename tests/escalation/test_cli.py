"""`tracker jobs tick [--now ...]`: the operator's way to run one scan and one delivery at a moment."""
from datetime import date

from sqlalchemy import select

from tests.escalation.conftest import received
from tracker.models.notify import OutboxMessage


def test_tick_at_a_local_moment(app, db, people, smtp_server):
    task = people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "tick", "--now", "2026-04-01T09:00"])
    assert result.exit_code == 0, result.output
    assert "2026年4月1日 09:00" in result.output and "新通知1条" in result.output and "已发送1封" in result.output
    assert [m["message"]["X-Tracker-Key"] for m in received(smtp_server)] == [f"task:{task.id}:c1:urge"]
    again = runner.invoke(args=["jobs", "tick", "--now", "2026-04-01T09:00"])
    assert "新通知0条" in again.output and "取出0封" in again.output
    assert len(db.session.scalars(select(OutboxMessage)).all()) == 1


def test_tick_with_an_offset_and_a_bad_moment(app, db, people, smtp_server):
    people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    runner = app.test_cli_runner()
    # 01:00 UTC is 09:00 in Asia/Shanghai
    assert "新通知1条" in runner.invoke(args=["jobs", "tick", "--now", "2026-04-01T01:00+00:00"]).output
    bad = runner.invoke(args=["jobs", "tick", "--now", "明天"])
    assert bad.exit_code != 0 and "时间格式应为" in bad.output
