"""Group robots through the outbox: one row per (notice, channel), errcode/500/timeout recorded per row,
retries with backoff, and each message posted exactly once when the receiver recovers."""
import base64
import hashlib
import hmac
import json
import urllib.parse
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.escalation.conftest import at, run_tick
from tests.mail.robot_receiver import RobotReceiver
from tracker.mail import robot
from tracker.mail.delivery import deliver
from tracker.models.notify import Channel, OutboxMessage, OutboxStatus


@pytest.fixture
def receiver(app):
    app.config.update(MAIL_TIMEOUT_SECONDS=1, MAIL_CLAIM_LEASE_SECONDS=30)
    with RobotReceiver() as rec:
        yield rec


def _robot_rows(db):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == Channel.ROBOT)
                              .order_by(OutboxMessage.id)).all()


def test_a_reminder_is_posted_to_the_units_wecom_robot_once(app, db, people, smtp_server, receiver):
    people.unit.robot_kind, people.unit.robot_url = robot.WECOM, receiver.url()
    task = people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    run_tick("2026-03-24T09:00")
    [row] = _robot_rows(db)
    assert row.key == f"task:{task.id}:c1:remind-5:robot" and row.status == OutboxStatus.SENT
    [post] = receiver.posts
    assert post["body"]["msgtype"] == "markdown"
    content = post["body"]["markdown"]["content"]
    assert content.startswith("### 【提醒】青山镇") and f"/notify/go/task/{task.id}" in content
    run_tick("2026-03-24T09:00")
    assert len(receiver.posts) == 1  # a second tick at the same moment posts nothing
    assert len(smtp_server.messages) == 1  # the mail went too: robots are beside email, not instead


def test_dingtalk_posts_markdown_with_title_and_a_valid_signature(app, db, people, receiver):
    people.unit.robot_kind, people.unit.robot_url = robot.DINGTALK, receiver.url("/robot/send?access_token=t")
    people.unit.robot_secret = "SECabc"
    people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    run_tick("2026-03-24T09:00")
    [post] = receiver.posts
    assert post["body"]["markdown"]["title"].startswith("【提醒】")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(post["path"]).query)
    stamp, sign = query["timestamp"][0], query["sign"][0]
    expected = base64.b64encode(hmac.new(b"SECabc", f"{stamp}\nSECabc".encode(), hashlib.sha256).digest()).decode()
    assert sign == expected and query["access_token"] == ["t"]


def test_generic_webhook_is_signed_with_hmac_sha256(app, db, people, receiver):
    people.unit.robot_kind, people.unit.robot_url, people.unit.robot_secret = robot.WEBHOOK, receiver.url("/hook"), "k1"
    people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    run_tick("2026-03-24T09:00")
    [post] = receiver.posts
    raw = json.dumps(post["body"], ensure_ascii=False).encode()
    assert post["headers"]["X-Tracker-Signature"] == "sha256=" + hmac.new(b"k1", raw, hashlib.sha256).hexdigest()
    assert post["body"]["key"].endswith(":robot")


@pytest.mark.parametrize("answer, words", [("errcode", "errcode 93000"), ("500", "HTTP 500"),
                                           ("slow", "无法连接机器人服务")])
def test_a_failing_robot_is_recorded_on_its_row_then_retried_once_it_recovers(app, db, people, receiver, answer,
                                                                               words):
    people.unit.robot_kind, people.unit.robot_url = robot.WECOM, receiver.url()
    for text in ("问题一", "问题二", "问题三"):
        people.task(db.session, deadline=date(2026, 3, 31), text=text)
    db.session.commit()
    receiver.answers = [answer] * 3
    receiver.slow_seconds = 1.5
    start = at("2026-03-24T09:00")
    run_tick(start)
    rows = _robot_rows(db)
    assert len(rows) == 3 and receiver.posts == []
    for row in rows:
        assert row.status == OutboxStatus.PENDING and row.attempts == 1 and words in row.last_error
        assert row.next_attempt_at > start  # backoff: not before its time
    deliver(db.session, now=start + timedelta(seconds=0.5))
    assert receiver.posts == []
    for later in (start + timedelta(minutes=5), start + timedelta(minutes=6)):
        deliver(db.session, now=later)  # recovered: each message once, and nothing more after
    assert sorted(receiver.keys()) == sorted(r.key for r in rows)
    assert all(r.status == OutboxStatus.SENT for r in _robot_rows(db))


def test_a_unit_without_a_robot_gets_no_robot_row(app, db, people, smtp_server):
    people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    run_tick("2026-03-24T09:00")
    assert _robot_rows(db) == []


def test_robot_url_is_checked():
    assert robot.check_url(" https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x ").startswith("https://")
    for bad in ("ftp://x", "qyapi.weixin.qq.com", "https://a b"):
        with pytest.raises(ValueError):
            robot.check_url(bad)
