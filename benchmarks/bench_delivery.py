"""Mails per second through the outbox (claim, send, durable mark per mail) into a local aiosmtpd, against a
floor: bare Flask-Mail (`Mail.connect()`, one connection, no database) sending the same Message objects to
the same sink, in the same run. Standalone:

    .venv/bin/python -m benchmarks.bench_delivery            # SQLite, then PostgreSQL at TRACKER_BENCH_PG_URL
"""
import os
import sys
from types import SimpleNamespace

from benchmarks.common import bench_app, smtp_sink
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
    from flask_mail import Mail

    from tracker.extensions import db
    from tracker.mail.delivery import build_message, deliver
    from tracker.mail.outbox import enqueue_email
    from tracker.models.notify import OutboxMessage

    now = bench_now()
    with bench_app(database_url) as app, smtp_sink() as sink:
        # MAIL_SUPPRESS_SEND: Flask-Mail sends nothing under TESTING otherwise (the floor would be free).
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, MAIL_SUPPRESS_SEND=False)
        for i in range(messages):
            enqueue_email(db.session, key=f"bench:{i}", kind="bench", template="task_notice", now=now,
                          context=_context(i), to_addresses=[f"owner{i}@town.test"], cc_addresses=["zzb@county.test"])
        db.session.commit()
        # Plain copies: the rounds' commits would expire ORM rows.
        rows = [SimpleNamespace(key=r.key, subject=r.subject, to_addresses=r.to_addresses, cc_addresses=r.cc_addresses,
                                body_text=r.body_text, body_html=r.body_html)
                for r in db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id))]
        sender = app.config["MAIL_DEFAULT_SENDER"]
        bare = Mail(app)  # after the sink's port is set: Flask-Mail reads its settings at init_app

        def floor():
            # Built before the floor's clock starts; the outbox builds its own inside its time.
            prepared = [build_message(r, sender) for r in rows]

            def send_all():
                with bare.connect() as connection:
                    for message in prepared:
                        connection.send(message)
            return send_all

        sent_before = sink.count
        result = compare(messages, db.engine.dialect.name, floor=floor, reset=lambda: reset_outbox(db.session),
                         outbox=lambda: drain(deliver, db.session, messages, now))
        assert sink.count - sent_before == 2 * result["rounds"] * messages, sink.count
    return result


def _context(i: int) -> dict:
    return {"subject": subject(i), "kind": "remind", "label": "提醒",
            "task_id": i, "unit_name": "青山镇", "owner_name": "甲书记", "problem_text": "干部队伍建设薄弱" * 5,
            "deadline": "2026年3月31日", "deadline_note": "", "today": "2026年3月24日", "workdays_left": 5,
            "overdue_workdays": 0, "task_url": f"http://tracker.test/notify/go/task/{i}",
            "ack_url": f"http://tracker.test/notify/ack/token{i}"}


def report(result: dict) -> str:
    return (f"投递 {result['messages']} 封（{result['dialect']}，每封 2 个收件人，本机 aiosmtpd）：发件箱 {result['outbox_per_s']:.0f} 封/秒，"
            f"裸 Flask-Mail 下限（一个连接、无数据库）{result['floor_per_s']:.0f} 封/秒，比值 {result['ratio']:.2f}"
            + rounds_text(result) + "；发件箱每封一次持久提交（标记已发送），与下一封的 SMTP 往来重叠")


if __name__ == "__main__":
    print(report(run()))
    if os.environ.get("TRACKER_BENCH_PG_URL"):
        print(report(run(database_url=os.environ["TRACKER_BENCH_PG_URL"])))
    sys.exit(0)
