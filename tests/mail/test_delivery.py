"""Delivery against real SMTP servers: outages, silence, refusals, hostile rows, retries, the outbox page."""
import socket
import threading
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import SMTPRecorder, free_port
from tests.escalation.conftest import at, received, run_tick
from tests.webhelpers import login, post_form
from tracker.models.notify import OutboxMessage, OutboxStatus
from tracker.mail.delivery import deliver
from tracker.mail.outbox import enqueue_email

NOW = at("2026-03-02T09:00")


def _enqueue(db, n: int, *, prefix="m", to=("a@x.test",), subject="【提醒】测试{}"):
    for i in range(n):
        enqueue_email(db.session, key=f"{prefix}:{i}", kind="test", template="unit_overdue", now=NOW,
                      context={"subject": subject.format(i), "unit_name": "青山镇", "tasks": [], "count": 0,
                               "threshold": 3, "today": "2026年3月2日"}, to_addresses=list(to))
    db.session.commit()


def _status_counts(db) -> dict:
    db.session.expire_all()
    return dict(db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())


class PickyHandler(SMTPRecorder):
    """Refuses recipients whose address contains 'refuse' and message bodies whose subject says 拒收."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "refuse" in address:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        if message_from_bytes(envelope.content, policy=policy.default)["Subject"] == "拒收":
            return "554 5.6.0 message content rejected"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def picky_smtp(app):
    from aiosmtpd.controller import Controller

    handler = PickyHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield handler
    controller.stop()


def test_smtp_down_then_up_delivers_all_once(app, db, smtp_server):
    _enqueue(db, 5)
    app.config["MAIL_PORT"] = free_port()  # nobody listens: the server is down
    for step in range(3):
        result = deliver(db.session, now=NOW + timedelta(seconds=10 * step))
        assert result.sent == 0 and result.retried == 5
    now = NOW + timedelta(seconds=21)
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert all(r.status == OutboxStatus.PENDING and r.attempts == 3 and "无法连接邮件服务器" in r.last_error
               for r in rows)
    assert deliver(db.session, now=now).claimed == 0  # backoff: 4 s after the third attempt, not yet due
    app.config["MAIL_PORT"] = smtp_server.port
    now += timedelta(seconds=3)
    assert deliver(db.session, now=now).sent == 5
    assert deliver(db.session, now=now + timedelta(hours=1)).claimed == 0
    keys = sorted(m["message"]["X-Tracker-Key"] for m in received(smtp_server))
    assert keys == [f"m:{i}" for i in range(5)]


def test_silent_server_fails_the_batch_within_the_timeout(app, db):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=listener.getsockname()[1], MAIL_TIMEOUT_SECONDS=1)
    _enqueue(db, 3)
    started = time.monotonic()
    result = deliver(db.session, now=NOW)
    assert time.monotonic() - started < 5
    assert result.retried == 3 and _status_counts(db) == {OutboxStatus.PENDING: 3}
    assert "timed out" in db.session.scalars(select(OutboxMessage.last_error)).first()
    for conn, _addr in accepted:
        conn.close()
    listener.close()


def test_partly_refused_recipients_are_recorded(app, db, picky_smtp):
    _enqueue(db, 1, to=("ok@x.test", "refuse-me@x.test"))
    result = deliver(db.session, now=NOW)
    assert result.sent == 1
    row = db.session.scalars(select(OutboxMessage)).one()
    assert row.status == OutboxStatus.SENT and set(row.refused) == {"refuse-me@x.test"}
    assert "550" in row.refused["refuse-me@x.test"] and "部分收件人被拒收" in row.last_error
    assert picky_smtp.messages[0]["rcpt"] == ["ok@x.test"]


def test_one_refused_message_does_not_stop_the_batch(app, db, picky_smtp):
    _enqueue(db, 2, prefix="before")
    _enqueue(db, 1, prefix="all-refused", to=("refuse@x.test",))
    enqueue_email(db.session, key="rejected:0", kind="test", template="unit_overdue", now=NOW,
                  context={"subject": "拒收", "unit_name": "x", "tasks": [], "count": 0}, to_addresses=["c@x.test"])
    db.session.commit()
    _enqueue(db, 2, prefix="after")
    result = deliver(db.session, now=NOW)
    assert result.sent == 4 and result.failed == 2
    errors = dict(db.session.execute(select(OutboxMessage.key, OutboxMessage.last_error)
                                     .where(OutboxMessage.status == OutboxStatus.FAILED)).all())
    assert "554" in errors["rejected:0"] and "邮件内容被拒绝" in errors["rejected:0"]
    assert "550" in errors["all-refused:0"] and "全部收件人被拒收" in errors["all-refused:0"]
    assert sorted(m["message"]["X-Tracker-Key"] for m in picky_smtp.messages) == [
        "after:0", "after:1", "before:0", "before:1"]


def test_hostile_rows_never_abort_a_batch(app, db, smtp_server):
    title = "关于" + "长期打不开局面的问题" * 60
    _enqueue(db, 1, prefix="long", subject=title)
    _enqueue(db, 1, prefix="ok")
    db.session.add(OutboxMessage(key="raw:newline", kind="test", to_addresses=["a@x.test"], cc_addresses=[],
                                 subject="第一行\r\nBcc: evil@x.test", body_text="正文", body_html="<p>正文</p><script>x</script>",
                                 status=OutboxStatus.PENDING, next_attempt_at=NOW, created_at=NOW))
    db.session.add(OutboxMessage(key="raw:no-recipient", kind="test", to_addresses=["not an address"],
                                 cc_addresses=[], subject="无收件人", body_text="x", body_html="x",
                                 status=OutboxStatus.PENDING, next_attempt_at=NOW, created_at=NOW))
    db.session.commit()
    result = deliver(db.session, now=NOW)
    assert result.sent == 3 and result.failed == 1
    by_key = {m["message"]["X-Tracker-Key"]: m for m in received(smtp_server)}
    assert "evil@x.test" not in by_key["raw:newline"]["rcpt"] and by_key["raw:newline"]["message"]["Bcc"] is None
    assert len(by_key["long:0"]["message"]["Subject"]) <= 200


def test_failed_after_max_attempts_then_retried_from_the_outbox_page(app, db, people, smtp_server, client):
    app.config.update(MAIL_MAX_ATTEMPTS=2)
    _enqueue(db, 1)
    app.config["MAIL_PORT"] = free_port()
    deliver(db.session, now=NOW)
    deliver(db.session, now=NOW + timedelta(seconds=1))
    row = db.session.scalars(select(OutboxMessage)).one()
    db.session.refresh(row)
    assert row.status == OutboxStatus.FAILED and row.attempts == 2
    login(client, "zzb")
    page = client.get("/notify/outbox?status=failed").get_data(as_text=True)
    assert "发送失败" in page and "重新发送" in page and "无法连接邮件服务器" in page
    response = post_form(client, f"/notify/outbox/{row.id}/retry", form_url="/notify/outbox?status=failed")
    assert response.status_code == 302
    app.config["MAIL_PORT"] = smtp_server.port
    from tracker.models.types import utcnow

    run_tick(utcnow() + timedelta(seconds=1))  # the retry is due from the moment it was clicked
    db.session.refresh(row)
    assert row.status == OutboxStatus.SENT and len(received(smtp_server)) == 1
    from tracker.models import AuditEvent

    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retry_mail")).actor_id == people.org.id


def test_times_are_injected_not_read_from_the_database(app, db, people, smtp_server):
    people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    run_tick("2026-03-24T09:00")
    row = db.session.scalars(select(OutboxMessage)).one()
    assert row.created_at == at("2026-03-24T09:00") and row.sent_at == at("2026-03-24T09:00")
