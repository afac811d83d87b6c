"""Reach is a fact on every notice: an owner that no channel reaches is on the 待电话转达 list, written in the
same transaction as the notice (roll it back: neither exists)."""
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.escalation.conftest import at, run_tick
from tests.factories import make_user
from tracker.escalation import scan
from tracker.mail import reach, robot
from tracker.models import Role
from tracker.models.notify import Notice, PhoneRelay


def _count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def _unreachable(db, people, **fields):
    owner = make_user(db.session, Role.SECRETARY, people.unit, username="no-reach", name="丙书记", password=None)
    owner.email, owner.phone = None, "13800001111"
    for name, value in fields.items():
        setattr(owner, name, value)
    return owner


def test_an_owner_without_email_or_login_is_put_on_the_phone_list(app, db, people, smtp_server):
    owner = _unreachable(db, people)
    task = people.task(db.session, deadline=date(2026, 3, 31), owner=owner)
    db.session.commit()
    run_tick("2026-03-24T09:00")
    [notice] = db.session.scalars(select(Notice).where(Notice.user_id == owner.id)).all()
    assert notice.reach == "无法送达：无邮箱、未激活账号"
    [relay] = db.session.scalars(select(PhoneRelay)).all()
    assert (relay.user_id, relay.task_id, relay.phone, relay.key) == (owner.id, task.id, "13800001111", notice.key)
    assert relay.reason == "无邮箱、未激活账号" and relay.title.startswith("【提醒】") and relay.called_at is None
    assert reach.open_relays_count(db.session) == 1
    run_tick("2026-03-24T09:00")
    assert _count(db, PhoneRelay) == 1  # the same notice is listed once


def test_a_deactivated_owner_is_unreached_whatever_it_has(app, db, people, smtp_server):
    people.owner.active = False
    people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    run_tick("2026-03-24T09:00")
    [relay] = db.session.scalars(select(PhoneRelay)).all()
    assert relay.reason == "已停用"


@pytest.mark.parametrize("fields", [{"email": "has@town.test"}, {"password_hash": "x"}])
def test_one_real_channel_is_enough(app, db, people, smtp_server, fields):
    owner = _unreachable(db, people, **fields)
    people.task(db.session, deadline=date(2026, 3, 31), owner=owner)
    db.session.commit()
    run_tick("2026-03-24T09:00")
    assert _count(db, PhoneRelay) == 0
    assert db.session.scalar(select(Notice.reach).where(Notice.user_id == owner.id)) is None


def test_a_reminder_posted_by_the_units_robot_is_delivered(app, db, people, smtp_server):
    owner = _unreachable(db, people)
    people.unit.robot_kind, people.unit.robot_url = robot.WECOM, "http://127.0.0.1:9/robot"
    task = people.task(db.session, deadline=date(2026, 3, 31), owner=owner)
    db.session.commit()
    run_tick("2026-03-24T09:00")
    assert _count(db, PhoneRelay) == 0
    db.session.refresh(task)
    # The ladder does not depend on the channel: the owner got this 提醒 and it awaits their 签收.
    assert task.last_notice_key == f"task:{task.id}:c1:remind-5" and task.notice_stage.endswith("remind-5")


def test_rolled_back_scan_leaves_neither_the_notice_nor_its_phone_entry(app, db, people, monkeypatch):
    owner = _unreachable(db, people)
    people.task(db.session, deadline=date(2026, 3, 31), owner=owner)
    db.session.commit()
    seen = []
    original_store = scan._Step.store

    def store_then_fail(step, now, today):
        original_store(step, now, today)
        db.session.flush()
        seen.append((_count(db, Notice), _count(db, PhoneRelay)))
        raise RuntimeError("the page fails after writing its notices")

    monkeypatch.setattr(scan._Step, "store", store_then_fail)
    from jobs.tasks import scan_job

    with pytest.raises(RuntimeError):
        scan_job(now=at("2026-03-24T09:00"))
    assert seen == [(1, 1)]  # both were written in the one transaction …
    assert _count(db, Notice) == 0 and _count(db, PhoneRelay) == 0  # … and both rolled back with it


def test_reach_of_names_every_channel(app, db, people):
    people.unit.robot_url = "http://127.0.0.1:9/robot"
    assert reach.reach_of(people.owner).channels == [reach.EMAIL, reach.ROBOT, reach.IN_APP]


def test_the_weekly_digest_counts_the_undelivered_notices(app, db, people, smtp_server):
    from tracker.escalation.digest import enqueue_weekly_digests
    from tracker.models.notify import OutboxMessage

    owner = _unreachable(db, people)
    people.task(db.session, deadline=date(2026, 3, 31), owner=owner)
    db.session.commit()
    run_tick("2026-03-24T09:00")
    enqueue_weekly_digests(db.session, at("2026-03-30T09:00"))
    db.session.commit()
    digest = db.session.scalar(select(OutboxMessage).where(OutboxMessage.key.like("digest:org:%"))
                               .order_by(OutboxMessage.id))
    assert "本周1条通知无法送达责任人" in digest.body_text and "尚待电话通知1人" in digest.body_text
    assert "/reach/phone" in digest.body_html
