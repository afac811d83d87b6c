"""Days overdue are working days, counted as the escalation rules count them (督办 after 5, 约谈 after 10,
通报 after 20 working days): weekends, the State Council's holidays and the department's own table."""
from datetime import date, datetime, timezone
from io import BytesIO

import docx
import pytest

from tests.factories import make_review, make_task, make_unit, make_user
from tests.proposals.test_dossier_docx import text_of
from tracker.escalation.calendar import WorkCalendar
from tracker.models import EscalationLevel, Role
from tracker.models.notify import HolidayDay
from tracker.proposals import drafts as docx_drafts
from tracker.proposals import service as service
from tracker.proposals.dossier import build_dossier, days_overdue

MONDAY = datetime(2026, 4, 20, 1, 0, tzinfo=timezone.utc)  # 2026年4月20日 09:00 in Asia/Shanghai
AFTER_NATIONAL_DAY = datetime(2026, 10, 9, 1, 0, tzinfo=timezone.utc)  # Friday 2026年10月9日 09:00
BEFORE_NATIONAL_DAY = date(2026, 9, 30)  # the last working day before the 国庆 holiday (10月1日至7日)


@pytest.fixture
def setup(app, db):
    session = db.session
    unit = make_unit(session, "青山镇")
    owner = make_user(session, Role.SECRETARY, unit, username="sec-a", name="甲书记")
    make_user(session, Role.ORG_DEPT, username="zzb", name="王组织", email="zzb@example.test")
    review = make_review(session)
    session.flush()
    return {"session": session, "unit": unit, "owner": owner, "review": review}


def _task(setup, deadline: date, text: str, level=EscalationLevel.TALK):
    task = make_task(setup["session"], setup["unit"], setup["owner"], setup["review"], deadline=deadline, text=text,
                     rules={"level2_after_workdays": 10, "level3_after_workdays": 20})
    task.escalation_level = level
    setup["session"].flush()
    return task


def test_a_weekend_is_not_counted(setup):
    # Deadline Friday 4月17日, proposed Monday 4月20日: three calendar days, one working day.
    task = _task(setup, date(2026, 4, 17), "周末前到期的任务")
    proposal = service.propose_for_task(setup["session"], task, 2, MONDAY)
    assert [link.days_overdue for link in proposal.tasks] == [1]
    assert "截至2026年4月20日已逾期1个工作日" in proposal.reason and "3天" not in proposal.reason


def test_the_national_day_holiday_is_not_counted(setup):
    # 9月30日 → 10月9日: nine calendar days, of which only 10月8日 and 10月9日 are working days.
    session = setup["session"]
    task = _task(setup, BEFORE_NATIONAL_DAY, "国庆前到期的任务")
    proposal = service.propose_for_task(session, task, 2, AFTER_NATIONAL_DAY)
    assert (AFTER_NATIONAL_DAY.date() - BEFORE_NATIONAL_DAY).days == 9
    assert proposal.tasks[0].days_overdue == 2 and "已逾期2个工作日" in proposal.reason
    dossier = build_dossier(session, proposal)
    assert dossier.days_overdue_on(date(2026, 10, 9)) == {task.id: 2}
    notice = text_of(docx_drafts.talk_notice_docx(proposal, date(2026, 10, 9)))
    assert "截至2026年10月9日已逾期2个工作日" in notice and "逾期9天" not in notice


def test_the_departments_holiday_table_is_counted(setup):
    # The department marks Friday 10月9日 as a rest day: one working day (10月8日) remains.
    session = setup["session"]
    session.add(HolidayDay(day=date(2026, 10, 9), year=2026, is_workday=False, note="本县调休"))
    session.flush()
    task = _task(setup, BEFORE_NATIONAL_DAY, "国庆前到期的任务", level=EscalationLevel.CIRCULAR)
    proposal = service.propose_for_task(session, task, 3, AFTER_NATIONAL_DAY)
    assert proposal.tasks[0].days_overdue == 1
    document = docx.Document(BytesIO(docx_drafts.circular_docx([proposal], date(2026, 10, 9))))
    rows = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert rows[1][2:] == ["国庆前到期的任务", "2026年9月30日", "1个工作日"]


def test_unit_proposal_counts_each_task_in_working_days(setup):
    tasks = [_task(setup, date(2026, 4, 17), "周五到期"), _task(setup, date(2026, 4, 18), "周六到期"),
             _task(setup, date(2026, 4, 3), "清明前到期")]
    proposal = service.propose_for_unit(setup["session"], setup["unit"], tasks, MONDAY)
    # 4月3日 → 4月20日: 17 calendar days; 清明 (4月4日至6日) and two weekends leave 10 working days.
    assert [(link.task.problem_text, link.days_overdue) for link in proposal.tasks] == [
        ("清明前到期", 10), ("周五到期", 1), ("周六到期", 1)]
    text = text_of(docx_drafts.talk_notice_docx(proposal, date(2026, 4, 20)))
    assert "1. 清明前到期（整改时限2026年4月3日，已逾期10个工作日）" in text


def test_a_closed_task_stops_counting_at_closure_and_a_task_not_yet_due_is_not_late(setup):
    calendar = WorkCalendar.load(setup["session"])
    closed = _task(setup, BEFORE_NATIONAL_DAY, "已销号任务")
    closed.closed_at = datetime(2026, 10, 8, 2, 0, tzinfo=timezone.utc)
    assert days_overdue(closed, date(2026, 10, 30), calendar) == 1
    future = _task(setup, date(2026, 10, 30), "未到期任务")
    assert days_overdue(future, date(2026, 10, 9), calendar) == 0
    assert days_overdue(_task(setup, date(2026, 10, 9), "今天到期"), date(2026, 10, 9), calendar) == 0
