"""Robot posts per second through the outbox (claims, lease renewal, mark per post) to a local receiver on
127.0.0.1, against a floor: bare urllib posting the same bodies. Standalone:

    .venv/bin/python -m benchmarks.bench_robot            # SQLite
    TRACKER_BENCH_PG_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python -m benchmarks.bench_robot
"""
import os
import sys
import urllib.request
from datetime import timedelta

from benchmarks.common import bench_app, timed

MESSAGES = 500


def run(messages: int = MESSAGES, database_url: str | None = None) -> dict:
    from tests.mail.robot_receiver import RobotReceiver
    from tracker.extensions import db
    from tracker.mail import robot
    from tracker.mail.robot_delivery import deliver_robots
    from tracker.models import Unit
    from tracker.models.notify import Channel, OutboxMessage, OutboxStatus
    from tracker.timeutil import parse_local

    now = parse_local("2026-03-24T09:00")
    with bench_app(database_url) as app, RobotReceiver() as receiver:
        unit = Unit(name="青山镇", robot_kind=robot.WECOM, robot_url=receiver.url())
        db.session.add(unit)
        db.session.flush()
        for i in range(messages):
            title, text = robot.markdown(f"【提醒】青山镇：整改任务将于2026年3月31日到期：问题{i}", "干部队伍建设薄弱。" * 20,
                                         f"http://tracker.test/notify/go/task/{i}")
            db.session.add(OutboxMessage(key=f"bench:{i}:robot", kind="task_remind", channel=Channel.ROBOT,
                                         unit_id=unit.id, to_addresses=[], cc_addresses=[], subject=title,
                                         body_text=text, body_html="", status=OutboxStatus.PENDING, attempts=0,
                                         next_attempt_at=now, created_at=now))
        db.session.commit()
        target = robot.unit_robot(unit)
        bodies = [robot.payload(target, key=r.key, title=r.subject, text=r.body_text)
                  for r in db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id))]

        def floor():
            for url, data, headers in bodies:
                with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=20) as r:
                    r.read()

        db.session.expunge_all()  # the delivery job starts from a fresh session, as it does in the scheduler
        floor_seconds, _ = timed(floor)
        floor_posts = len(receiver.posts)

        def outbox():
            sent, moment = 0, now
            while sent < messages:
                result = deliver_robots(db.session, now=moment, worker="bench")
                if result.claimed == 0:
                    break
                sent += result.sent
                moment += timedelta(seconds=1)
            return sent

        outbox_seconds, sent = timed(outbox)
        keys = receiver.keys()[floor_posts:]
        assert sent == messages and len(keys) == len(set(keys)) == messages, (sent, len(keys))
        dialect = db.engine.dialect.name
    return {"messages": messages, "dialect": dialect, "floor_per_s": messages / floor_seconds,
            "outbox_per_s": messages / outbox_seconds, "ratio": floor_seconds / outbox_seconds}


def report(result: dict) -> str:
    return (f"群机器人 {result['messages']} 条（{result['dialect']}，本机 HTTP 接收器）：发件箱 {result['outbox_per_s']:.0f} 条/秒，"
            f"裸 urllib 下限 {result['floor_per_s']:.0f} 条/秒，比值 {result['ratio']:.2f}"
            "（发件箱每条多两次数据库提交：续租认领、标记已发送）")


if __name__ == "__main__":
    print(report(run(database_url=os.environ.get("TRACKER_BENCH_PG_URL") or None)))
    sys.exit(0)
