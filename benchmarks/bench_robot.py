"""Robot posts per second through the outbox (claim, post, mark per post) to a local receiver on 127.0.0.1,
against a floor: bare urllib posting the same bodies, in the same run. Standalone:

    .venv/bin/python -m benchmarks.bench_robot            # SQLite, then PostgreSQL at TRACKER_BENCH_PG_URL
"""
import os
import sys
import urllib.request

from benchmarks.common import bench_app
from benchmarks.outbox_bench import (
    bench_now,
    compare,
    drain,
    reset_outbox,
    rounds_text,
    subject,
)

MESSAGES = 500


def run(messages: int = MESSAGES, database_url: str | None = None) -> dict:
    from tests.mail.robot_receiver import RobotReceiver
    from tracker.extensions import db
    from tracker.mail import robot
    from tracker.mail.robot_delivery import deliver_robots
    from tracker.models import Unit
    from tracker.models.notify import Channel, OutboxMessage, OutboxStatus

    now = bench_now()
    with bench_app(database_url), RobotReceiver() as receiver:
        unit = Unit(name="青山镇", robot_kind=robot.WECOM, robot_url=receiver.url())
        db.session.add(unit)
        db.session.flush()
        for i in range(messages):
            title, text = robot.markdown(subject(i), "干部队伍建设薄弱。" * 20, f"http://tracker.test/notify/go/task/{i}")
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

        def outbox():
            before = len(receiver.posts)
            sent = drain(deliver_robots, db.session, messages, now)
            keys = receiver.keys()[before:]
            assert len(keys) == len(set(keys)) == messages, len(keys)
            return sent

        result = compare(messages, db.engine.dialect.name, floor=lambda: floor, outbox=outbox,
                         reset=lambda: reset_outbox(db.session))
    return result


def report(result: dict) -> str:
    return (f"群机器人 {result['messages']} 条（{result['dialect']}，本机 HTTP 接收器）：发件箱 {result['outbox_per_s']:.0f} 条/秒，"
            f"裸 urllib 下限 {result['floor_per_s']:.0f} 条/秒，比值 {result['ratio']:.2f}" + rounds_text(result)
            + "；发件箱每条一次提交（标记已发送）")


if __name__ == "__main__":
    print(report(run()))
    if os.environ.get("TRACKER_BENCH_PG_URL"):
        print(report(run(database_url=os.environ["TRACKER_BENCH_PG_URL"])))
    sys.exit(0)
