"""The outbox page: next attempt of pending rows, a row's detail (subject, recipients, body, task), pages."""
from datetime import date

from sqlalchemy import select

from jobs.tasks import scan_job
from tests.escalation.conftest import at
from tests.webhelpers import login
from tracker.models.notify import OutboxMessage, OutboxStatus
from tracker.web import notices as views
from tracker.mail.delivery import deliver
from tracker.mail.outbox import enqueue_email


def _org(app):
    client = app.test_client()
    login(client, "zzb")
    return client


def test_pending_retry_shows_its_next_attempt_and_the_detail_its_content(app, db, people):
    task = people.task(db.session, deadline=date(2026, 3, 31), text="<b>群众反映</b>问题")
    db.session.commit()
    scan_job(at("2026-04-01T09:00"))
    app.config.update(MAIL_PORT=1)  # nobody listens: the attempt fails and is retried later
    deliver(db.session, now=at("2026-04-01T09:00"))
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.task_id == task.id))
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
    page = _org(app).get("/notify/outbox?status=pending").get_data(as_text=True)
    db.session.refresh(row)
    assert "下次尝试" in page and row.next_attempt_at > at("2026-04-01T09:00")
    assert f"/notify/outbox/{row.id}" in page and f"/notify/go/task/{task.id}" in page
    detail = _org(app).get(f"/notify/outbox/{row.id}").get_data(as_text=True)
    assert "【催办】青山镇" in detail and "sec-a@town.test" in detail and "抄送" in detail
    assert "&lt;b&gt;群众反映" in detail and "<b>群众反映" not in detail  # the text body, escaped
    assert f"/notify/go/task/{task.id}" in detail and "下次尝试" in detail
    assert _org(app).get("/notify/outbox/99999").status_code == 404


def test_a_digest_detail_lists_what_it_carries(app, db, people):
    people.task(db.session, deadline=date(2026, 3, 31), text="第一项问题")
    people.task(db.session, deadline=date(2026, 4, 1), text="第二项问题")
    db.session.commit()
    scan_job(at("2026-04-01T09:00"))
    digest = db.session.scalar(select(OutboxMessage).where(OutboxMessage.key.like("digest:sec-a@town.test:%")))
    detail = _org(app).get(f"/notify/outbox/{digest.id}").get_data(as_text=True)
    assert "本邮件包含的通知（2项）" in detail and "第一项问题" in detail and "第二项问题" in detail
    member = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "task_remind"))
    assert "随以下汇总邮件发出" in _org(app).get(f"/notify/outbox/{member.id}").get_data(as_text=True)


def test_the_outbox_list_is_paginated(app, db, people, monkeypatch):
    for i in range(3):
        enqueue_email(db.session, key=f"page:{i}", kind="test", template="unit_overdue", now=at("2026-03-25T09:00"),
                      context={"subject": f"【提醒】第{i}封", "unit_name": "青山镇", "tasks": [], "count": 0,
                               "threshold": 3, "today": ""}, to_addresses=[f"u{i}@x.test"])
    db.session.commit()
    monkeypatch.setattr(views, "PER_PAGE", 1)
    client = _org(app)
    first = client.get("/notify/outbox?status=pending").get_data(as_text=True)
    assert "下一页" in first and "上一页" not in first and first.count('<tr id="outbox-') == 1
    second = client.get("/notify/outbox?status=pending&page=2").get_data(as_text=True)
    assert "上一页" in second and second.count('<tr id="outbox-') == 1
