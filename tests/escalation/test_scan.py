"""The scan: idempotent, transactional, catching up without flooding, respecting snapshots and digests."""
from datetime import date

import pytest
from sqlalchemy import func, select

from jobs.tasks import scan_job
from tests.escalation.conftest import at, received, run_tick
from tests.factories import make_user
from tracker.escalation import scan
from tracker.mail.outbox import enqueue_email
from tracker.models import Role, Task, TaskType
from tracker.models.notify import Notice, OutboxMessage, OutboxStatus, SkippedNotice


def _count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_second_tick_at_the_same_now_adds_nothing(app, db, people, smtp_server):
    people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    run_tick("2026-04-01T09:30")
    rows, notices, mails = _count(db, OutboxMessage), _count(db, Notice), len(received(smtp_server))
    assert rows == 1 and mails == 1
    scan, delivery = run_tick("2026-04-01T09:30")
    assert scan.notices == 0 and delivery.claimed == 0
    assert (_count(db, OutboxMessage), _count(db, Notice), len(received(smtp_server))) == (rows, notices, mails)


def test_rolled_back_escalation_leaves_no_outbox_row(app, db, people, monkeypatch):
    task = people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    stored = []
    original_store = scan._Step.store

    def store_then_fail(step, now, today):
        original_store(step, now, today)
        stored.append((step.result.level_changes, _count(db, OutboxMessage)))
        raise RuntimeError("the page fails after writing its notices")

    monkeypatch.setattr(scan._Step, "store", store_then_fail)
    with pytest.raises(RuntimeError):
        scan_job(now=at("2026-04-15T09:00"))
    assert stored and stored[0][0] == 1 and stored[0][1] >= 1  # the escalation was written, then rolled back
    assert _count(db, OutboxMessage) == 0 and _count(db, Notice) == 0 and _count(db, SkippedNotice) == 0
    db.session.refresh(task)
    assert task.escalation_level == 0 and task.notice_stage is None


def test_catch_up_sends_the_most_advanced_notice_and_records_the_rest(app, db, people, smtp_server):
    task = people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    run_tick("2026-04-09T09:00")  # the scheduler was down since before 3月24日
    [mail] = received(smtp_server)
    assert mail["message"]["X-Tracker-Key"] == f"task:{task.id}:c1:level1"
    skipped = db.session.scalars(select(SkippedNotice.rule).where(SkippedNotice.task_id == task.id)
                                 .order_by(SkippedNotice.due_on)).all()
    assert skipped == ["remind-5", "remind-2", "remind-0", "urge"]
    db.session.refresh(task)
    assert task.escalation_level == 1 and task.notice_stage == "1:level1"


def test_notices_wait_for_a_working_day(app, db, people, smtp_server):
    task = people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    run_tick("2026-04-04T10:00")  # Saturday, and 清明: nothing goes out
    assert received(smtp_server) == []
    db.session.refresh(task)
    assert task.next_check_at == at("2026-04-07T09:00")
    run_tick("2026-04-07T09:00")
    assert [m["message"]["X-Tracker-Key"] for m in received(smtp_server)] == [f"task:{task.id}:c1:urge"]


def test_policy_snapshot_survives_a_config_change(app, db, people, smtp_server):
    old_rules = dict(app.config["ESCALATION_RULES"])
    task = people.task(db.session, deadline=date(2026, 3, 31), rules=old_rules)
    db.session.commit()
    app.config["ESCALATION_RULES"] = {**old_rules, "level1_after_workdays": 2, "remind_before_workdays": [10]}
    run_tick("2026-04-03T09:00")  # 3 working days overdue: level 1 under the new rules, not under the old
    db.session.refresh(task)
    assert task.escalation_level == 0
    assert [m["message"]["X-Tracker-Key"] for m in received(smtp_server)] == [f"task:{task.id}:c1:urge"]
    fresh = people.task(db.session, deadline=date(2026, 3, 31), rules=app.config["ESCALATION_RULES"], text="新任务")
    db.session.commit()
    run_tick("2026-04-03T09:05")
    db.session.refresh(fresh)
    assert fresh.escalation_level == 1


def test_task_without_a_policy_falls_back_to_config(app, db, people):
    task = people.task(db.session, deadline=date(2026, 3, 31))
    task.policy = None
    db.session.commit()
    run_tick("2026-04-08T09:00")
    db.session.refresh(task)
    assert task.escalation_level == 1


def test_several_notices_for_one_recipient_become_one_digest(app, db, people, smtp_server):
    tasks = [people.task(db.session, deadline=date(2026, 3, 31), text=f"问题{i}") for i in range(3)]
    db.session.commit()
    run_tick("2026-03-24T09:00")
    [mail] = received(smtp_server)
    body = mail["message"].get_body(preferencelist=("plain",)).get_content()
    assert all(f"问题{i}" in body for i in range(3)) and body.count("/notify/ack/") == 3
    merged = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.MERGED)).all()
    assert {m.task_id for m in merged} == {t.id for t in tasks}
    assert len({m.digest_id for m in merged}) == 1
    assert _count(db, Notice, Notice.user_id == people.owner.id) == 3  # the app still lists each notice


def test_unit_with_three_overdue_tasks_is_proposed_once(app, db, people, smtp_server):
    for i in range(3):
        people.task(db.session, deadline=date(2026, 3, 31), text=f"逾期问题{i}")
    db.session.commit()
    run_tick("2026-04-01T09:00")
    unit_rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.unit_id == people.unit.id,
                                                               OutboxMessage.task_id.is_(None),
                                                               OutboxMessage.kind == "unit_overdue")).all()
    assert len(unit_rows) == 1 and "3项整改任务" in unit_rows[0].subject
    run_tick("2026-04-02T09:00")
    assert _count(db, OutboxMessage, OutboxMessage.kind == "unit_overdue") == 1


def test_user_without_email_gets_the_notice_in_the_app(app, db, people, smtp_server):
    owner = make_user(db.session, Role.SECRETARY, people.unit, username="no-mail", name="丙书记")
    owner.email = None
    people.task(db.session, deadline=date(2026, 3, 31), owner=owner)
    db.session.commit()
    run_tick("2026-03-24T09:00")
    assert received(smtp_server) == [] and _count(db, OutboxMessage) == 0
    [notice] = db.session.scalars(select(Notice).where(Notice.user_id == owner.id)).all()
    assert notice.title.startswith("【提醒】")


def test_never_an_empty_mail(app, db, people):
    assert enqueue_email(db.session, key="x:1", kind="test", template="unit_overdue", now=at("2026-03-02T09:00"),
                         context={"subject": "测试", "unit_name": "青山镇", "tasks": [], "count": 0}) is None
    assert _count(db, OutboxMessage) == 0 and _count(db, Notice) == 0


def test_enqueue_is_idempotent_and_cleans_hostile_subjects(app, db, people):
    context = {"subject": "【提醒】<b>坏</b>\r\nBcc: evil@x.test" + "很长的标题" * 100, "unit_name": "<script>",
               "tasks": [], "count": 0}
    row = enqueue_email(db.session, key="k:1", kind="test", template="unit_overdue", context=context,
                        now=at("2026-03-02T09:00"), to_addresses=["a@x.test", "bad\n@x.test", "a@x.test"])
    assert row is not None and row.to_addresses == ["a@x.test"]
    assert "\n" not in row.subject and "\r" not in row.subject and len(row.subject) <= 200
    assert "&lt;script&gt;" in row.body_html and "<script>" in row.body_text
    assert enqueue_email(db.session, key="k:1", kind="test", template="unit_overdue", context=context,
                         now=at("2026-03-02T09:00"), to_addresses=["b@x.test"]) is None
    assert _count(db, OutboxMessage) == 1


def test_ongoing_tasks_get_a_monthly_progress_reminder(app, db, people, smtp_server):
    task = people.task(db.session, deadline=None, task_type=TaskType.ONGOING, created=at("2026-01-10T10:00"))
    db.session.commit()
    run_tick("2026-02-02T09:00")  # 2月 starts on a Sunday: the first working day is 2月2日
    run_tick("2026-02-20T09:00")
    run_tick("2026-03-02T09:00")
    keys = [m["message"]["X-Tracker-Key"] for m in received(smtp_server)]
    assert keys == [f"task:{task.id}:c1:ongoing-2026-02", f"task:{task.id}:c1:ongoing-2026-03"]
    assert "进展报告提醒" in received(smtp_server)[0]["message"]["Subject"]
    db.session.refresh(task)
    assert task.escalation_level == 0 and task.next_check_at == at("2026-04-01T09:00")


def test_closed_tasks_are_never_scanned(app, db, people, smtp_server):
    from tracker.services import workflow

    task = people.task(db.session, deadline=date(2026, 3, 31))
    workflow.apply(db.session, task, "request_closure", actor=None, now=at("2026-03-20T10:00"), reason="完成")
    workflow.apply(db.session, task, "close", actor=None, now=at("2026-03-20T11:00"))
    db.session.commit()
    run_tick("2026-04-20T09:00")
    assert received(smtp_server) == []
    assert db.session.get(Task, task.id).escalation_level == 0


@pytest.mark.parametrize("hour", ["08:00", "09:00"])
def test_next_check_is_the_next_due_moment(app, db, people, hour):
    task = people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    run_tick(f"2026-03-02T{hour}")
    db.session.refresh(task)
    assert task.next_check_at == at("2026-03-24T09:00")
