"""Delivery rate through the outbox vs a floor: bare smtplib sending the same bytes over one connection."""
import smtplib
from datetime import timedelta

from benchmarks.common import bench_app, smtp_sink, timed

MESSAGES = 500


def run(messages: int = MESSAGES, database_url: str | None = None) -> dict:
    from tracker.extensions import db
    from tracker.models.notify import OutboxMessage
    from tracker.mail.delivery import build_message, deliver
    from tracker.mail.outbox import enqueue_email
    from tracker.timeutil import parse_local

    now = parse_local("2026-03-24T09:00")
    with bench_app(database_url) as app, smtp_sink() as sink:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port)
        for i in range(messages):
            enqueue_email(db.session, key=f"bench:{i}", kind="bench", template="task_notice", now=now,
                          context=_context(i), to_addresses=[f"owner{i}@town.test"], cc_addresses=["zzb@county.test"])
        db.session.commit()
        rows = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).all()
        sender = app.config["MAIL_DEFAULT_SENDER"]
        payloads = [(list(m.send_to), m.as_bytes()) for m in (build_message(r, sender) for r in rows)]

        def floor():
            with smtplib.SMTP("127.0.0.1", sink.port, timeout=20) as smtp:
                for recipients, payload in payloads:
                    smtp.sendmail("zgdb@localhost", recipients, payload)

        floor_seconds, _ = timed(floor)

        def outbox():
            sent, moment = 0, now
            while sent < messages:
                result = deliver(db.session, now=moment, worker="bench")
                if result.claimed == 0:
                    break
                sent += result.sent
                moment += timedelta(seconds=1)
            return sent

        outbox_seconds, sent = timed(outbox)
        assert sent == messages and sink.count == 2 * messages, (sent, sink.count)
        dialect = db.engine.dialect.name
    return {"messages": messages, "dialect": dialect, "floor_per_s": messages / floor_seconds, "outbox_per_s": messages / outbox_seconds,
            "ratio": floor_seconds / outbox_seconds}


def _context(i: int) -> dict:
    return {"subject": f"【提醒】青山镇：整改任务将于2026年3月31日到期：问题{i}", "kind": "remind", "label": "提醒",
            "task_id": i, "unit_name": "青山镇", "owner_name": "甲书记", "problem_text": "干部队伍建设薄弱" * 5,
            "deadline": "2026年3月31日", "deadline_note": "", "today": "2026年3月24日", "workdays_left": 5,
            "overdue_workdays": 0, "task_url": f"http://tracker.test/notify/go/task/{i}",
            "ack_url": f"http://tracker.test/notify/ack/token{i}"}


def report(result: dict) -> str:
    return (f"投递 {result['messages']} 封（{result['dialect']}，每封 2 个收件人，本机 aiosmtpd）：发件箱 {result['outbox_per_s']:.0f} 封/秒，"
            f"裸 smtplib 下限 {result['floor_per_s']:.0f} 封/秒，比值 {result['ratio']:.2f}"
            "（发件箱每封多两次数据库提交：续租认领、标记已发送）")
