"""签收 per person: only the notice's owner, logged in, signs it; copied people and anonymous visitors see
the notice and a login link; the audit names the signer."""
from datetime import date
from urllib.parse import quote

import pytest
from sqlalchemy import select

from tests.escalation.conftest import at, run_tick
from tests.webhelpers import extract_csrf, login
from tracker.models import AuditEvent, Task
from tracker.models.notify import Notice, OutboxMessage, OutboxStatus
from tracker.models.proposals import Proposal
from tracker.escalation.acknowledgement import make_token
from tracker.mail.outbox import enqueue_email


@pytest.fixture
def supervised(app, db, people, smtp_server):
    task = people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    run_tick("2026-04-08T09:00")  # 督办: To the owner and the organization department user, Cc its contact
    return task


def _ack_url(task):
    return f"/notify/ack/{make_token(f'task:{task.id}:c1:level1')}"


def _client(app, username=None):
    client = app.test_client()
    if username:
        login(client, username)
    return client


def test_anonymous_sees_the_notice_and_a_login_link_but_cannot_sign(app, db, supervised):
    url = _ack_url(supervised)
    client = _client(app)
    page = client.get(url).get_data(as_text=True)
    assert "【督办】青山镇" in page and "确认签收" not in page
    assert f"/login?next={quote(url, safe='')}" in page or f"/login?next={url}" in page
    response = client.post(url, data={"csrf_token": extract_csrf(client.get("/login").get_data(as_text=True))})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    db.session.expire_all()
    assert db.session.get(Task, supervised.id).acknowledged_at is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "acknowledge")) is None


def test_the_owner_signs_logged_in_and_the_audit_names_them(app, db, people, supervised):
    url = _ack_url(supervised)
    client = _client(app, "sec-a")
    page = client.get(url).get_data(as_text=True)
    assert "确认签收" in page
    assert client.post(url, data={"csrf_token": extract_csrf(page)}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Task, supervised.id).acknowledged_at is not None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "acknowledge"))
    assert event.actor_id == people.owner.id and "甲书记" in event.note
    notices = {n.user_id: n for n in db.session.scalars(select(Notice).where(
        Notice.key == f"task:{supervised.id}:c1:level1"))}
    assert notices[people.owner.id].acknowledged_at is not None
    assert notices[people.org.id].acknowledged_at is None  # the copy to the organization department is not signed
    assert "您已签收" in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize("username,get_status", [("zzb", 200), ("jw", 200), ("sec-b", 404), ("admin", 404)])
def test_a_copy_recipient_cannot_sign_for_the_owner(app, db, supervised, username, get_status):
    url = _ack_url(supervised)
    client = _client(app, username)
    response = client.get(url)
    assert response.status_code == get_status
    token = extract_csrf(client.get("/notify/notices").get_data(as_text=True))
    if get_status == 200:
        page = response.get_data(as_text=True)
        assert "确认签收" not in page and "只有责任人甲书记本人可以签收" in page and "/login?next=" in page
    assert client.post(url, data={"csrf_token": token}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Task, supervised.id).acknowledged_at is None
    assert all(n.acknowledged_at is None for n in db.session.scalars(select(Notice)))


def test_a_notice_not_sent_to_the_owner_is_not_theirs_to_sign(app, db, people, smtp_server):
    """约谈建议 goes to the organization department and the discipline commission, not to the owner."""
    task = people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    run_tick("2026-04-08T09:00")
    run_tick("2026-04-15T09:00")  # 10 working days: 约谈 proposed
    proposal = db.session.scalar(select(Proposal).where(Proposal.task_id == task.id))
    assert proposal is not None
    url = f"/notify/ack/{make_token(f'proposal:{proposal.id}')}"
    client = _client(app, "sec-a")
    page = client.get(url).get_data(as_text=True)
    assert "确认签收" not in page and "无需签收" in page
    assert client.post(url, data={"csrf_token": extract_csrf(page)}).status_code == 404
    delegated = db.session.scalar(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.DELEGATED))
    assert delegated is not None
    page = client.get(f"/notify/ack/{make_token(delegated.key)}").get_data(as_text=True)
    assert "确认签收" not in page


def test_a_unit_notice_is_signed_by_each_recipient_for_themselves(app, db, people, smtp_server):
    enqueue_email(db.session, key="unit:1:test", kind="unit_overdue", template="unit_overdue",
                  now=at("2026-04-01T09:00"),
                  context={"subject": "【约谈建议】青山镇：3项整改任务逾期未完成", "unit_name": "青山镇", "tasks": [],
                           "count": 3, "threshold": 3, "today": ""}, to_users=[people.org, people.disc],
                  unit_id=people.unit.id)
    db.session.commit()
    url = f"/notify/ack/{make_token('unit:1:test')}"
    client = _client(app, "zzb")
    page = client.get(url).get_data(as_text=True)
    assert client.post(url, data={"csrf_token": extract_csrf(page)}).status_code == 302
    db.session.expire_all()
    signed = {n.user_id: n.acknowledged_at
              for n in db.session.scalars(select(Notice).where(Notice.key == "unit:1:test"))}
    assert signed[people.org.id] is not None and signed[people.disc.id] is None
    owner = _client(app, "sec-a")
    token = extract_csrf(owner.get("/notify/notices").get_data(as_text=True))
    assert owner.post(url, data={"csrf_token": token}).status_code == 404
