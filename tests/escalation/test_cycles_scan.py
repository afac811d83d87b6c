"""The scan at scale: one transaction per page, the unit check once a day, indexed predicates, wording."""
from datetime import date

import pytest
from sqlalchemy import event, func, select

from jobs.tasks import scan_job
from tests.escalation.conftest import at, received, run_tick
from tracker.models import Task
from tracker.models.notify import HolidayDay, OutboxMessage
from tracker.escalation import scan
from tracker.escalation.summary import dashboard_summary, unacknowledged_filter
from tracker.escalation.unit_check import _most_overdue


def _count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- #9: one transaction per page ----------------------------------------------------------------------

def test_each_page_is_committed_alone_and_a_failing_page_leaves_nothing(app, db, people, monkeypatch):
    tasks = [people.task(db.session, deadline=date(2026, 3, 31), text=f"问题{i}") for i in range(5)]
    db.session.commit()
    monkeypatch.setattr(scan, "PAGE_SIZE", 2)
    real_draft = scan.task_draft

    def failing_draft(task, *args, **kwargs):
        if task.id == tasks[3].id:
            raise RuntimeError("模拟第二页中途失败")
        return real_draft(task, *args, **kwargs)

    monkeypatch.setattr(scan, "task_draft", failing_draft)
    with pytest.raises(RuntimeError):
        scan_job(at("2026-04-15T09:00"))
    db.session.expire_all()
    levels = [db.session.get(Task, t.id).escalation_level for t in tasks]
    # Page 1 (tasks 0, 1) is committed; page 2 (tasks 2, 3) rolled back whole, task 2's 约谈 included.
    assert levels == [2, 2, 0, 0, 0]
    assert _count(db, OutboxMessage, OutboxMessage.task_id.in_([tasks[2].id, tasks[3].id])) == 0
    assert _count(db, OutboxMessage, OutboxMessage.task_id.in_([tasks[0].id, tasks[1].id]),
                  OutboxMessage.key.like("task:%")) == 2

    monkeypatch.setattr(scan, "task_draft", real_draft)  # the next scan finishes the work, nothing twice
    result = scan_job(at("2026-04-15T09:05"))
    assert result.checked == 3 and result.notices == 3
    db.session.expire_all()
    assert [db.session.get(Task, t.id).escalation_level for t in tasks] == [2] * 5
    assert _count(db, OutboxMessage, OutboxMessage.key.like("task:%")) == 5


# --- #10: the unit check once per local day, through an index -------------------------------------------

def test_unit_check_runs_once_per_working_day(app, db, people):
    for i in range(3):
        people.task(db.session, deadline=date(2026, 3, 31), text=f"逾期问题{i}")
    db.session.commit()
    statements = []

    def remember(conn, cursor, statement, *args):
        if "GROUP BY unit_task_count.unit_id" in statement:  # the unit check reads the maintained counts
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        for when in ("2026-04-01T09:00", "2026-04-01T09:05", "2026-04-01T16:00"):
            run_tick(when)
        assert len(statements) == 1
        # Changed by issue 10.2: the check groups only the units that had a due task in the scan. On 4月2日
        # none of these tasks is due (督办 comes on 4月8日), so nothing is read; on 4月8日 it is.
        run_tick("2026-04-02T09:00")
        assert len(statements) == 1
        run_tick("2026-04-08T09:00")
        assert len(statements) == 2 and "unit_task_count.unit_id IN" in statements[-1]
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)


def _plan(db, statement) -> str:
    sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "sqlite":
        return " ".join(str(row[-1]) for row in db.session.execute(db.text("EXPLAIN QUERY PLAN " + sql)))
    db.session.execute(db.text("SET LOCAL enable_seqscan = off"))
    plan = " ".join(row[0] for row in db.session.execute(db.text("EXPLAIN " + sql)))
    db.session.rollback()
    return plan


def test_unacknowledged_and_unit_overdue_queries_use_indexes(app, db, people):
    unacked = select(func.count()).select_from(Task).where(*unacknowledged_filter())
    assert "ix_task_unacknowledged" in _plan(db, unacked)
    # The unit proposal's most overdue tasks: on PostgreSQL a LATERAL per unit reading the partial index in
    # deadline order (it stops at the 200 it lists); SQLite (a county) numbers them over an index too.
    listing = _most_overdue(db.session, date(2026, 4, 1), [people.unit.id])
    expected = "ix_task_unit_open_deadline" if db.engine.dialect.name == "postgresql" else "USING"
    assert expected in _plan(db, listing)


def test_dashboard_counts_reminded_not_acknowledged(app, db, people, smtp_server):
    task = people.task(db.session, deadline=date(2026, 3, 31))
    done = people.task(db.session, deadline=date(2026, 3, 31), text="已签收的任务")
    db.session.commit()
    run_tick("2026-03-24T09:00")
    done.acknowledged_at = at("2026-03-24T10:00")
    db.session.commit()
    summary = dashboard_summary(db.session, now=at("2026-03-24T11:00"))
    assert summary["unacknowledged_total"] == 1 and [t.id for t in summary["unacknowledged"]] == [task.id]


# --- #14: one pasted date does not make a year known -------------------------------------------------------

def test_one_pasted_date_keeps_the_missing_year_warning(app, db, people):
    db.session.add(HolidayDay(day=date(2027, 10, 1), year=2027, is_workday=False, note="国庆"))
    db.session.commit()
    summary = dashboard_summary(db.session, now=at("2026-11-27T10:00"))
    assert summary["missing_years"] == [2027]
    assert "2027年节假日安排录入不完整（须包含春节和国庆假期）" in summary["holiday_warning"]
    for day in (*range(11, 18),):  # 春节 2027: 2月11日至17日 (weekdays among them)
        db.session.add(HolidayDay(day=date(2027, 2, day), year=2027, is_workday=False, note="春节"))
    db.session.commit()
    assert dashboard_summary(db.session, now=at("2026-11-27T10:00"))["missing_years"] == []


# --- #11: wording ---------------------------------------------------------------------------------------

def test_deadline_day_subject_says_today_and_county_wide_tasks_are_not_the_org_dept(app, db, people, smtp_server):
    task = people.task(db.session, deadline=date(2026, 3, 31))
    overall = people.task(db.session, deadline=date(2026, 3, 31), owner=people.org, text="全县共性问题：软弱涣散")
    overall.unit_id, overall.is_overall, overall.comment_id = None, True, None
    db.session.commit()
    run_tick("2026-03-31T09:00")
    subjects = {m["message"]["X-Tracker-Key"]: str(m["message"]["Subject"]) for m in received(smtp_server)}
    own = [s for k, s in subjects.items() if k.startswith(f"task:{task.id}:")]
    assert own and own[0].startswith("【提醒】青山镇：整改任务今天（2026年3月31日）到期")
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.task_id == overall.id)).all()
    assert rows and all(r.subject.startswith("【提醒】全县共性问题：") for r in rows)


def test_a_notice_the_owner_never_got_does_not_wait_for_the_owners_acknowledgement(app, db, people, smtp_server):
    task = people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    run_tick("2026-04-08T09:00")  # 督办: to the owner
    db.session.refresh(task)
    assert task.last_notice_key == f"task:{task.id}:c1:level1"
    task.acknowledged_at = at("2026-04-08T10:00")
    db.session.commit()
    run_tick("2026-04-15T09:00")  # 约谈 proposed: to the organization department and the 纪委, not the owner
    db.session.refresh(task)
    assert task.last_notice_key == f"task:{task.id}:c1:level1"
    assert dashboard_summary(db.session, now=at("2026-04-15T10:00"))["unacknowledged_total"] == 0
