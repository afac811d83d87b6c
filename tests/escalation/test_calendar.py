"""Working days: the State Council schedule (调休 included), the org dept's table, and missing years."""
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.escalation.conftest import at, run_tick, received
from tracker.escalation.calendar import WorkCalendar
from tracker.escalation.holidays import parse_holiday_text, save_holidays
from tracker.services.errors import DomainError

import pytest


def test_tiaoxiu_weekends_are_working_days_in_2026():
    calendar = WorkCalendar()
    assert calendar.is_workday(date(2026, 2, 14)) and calendar.is_workday(date(2026, 2, 28))  # Saturdays, 调休
    assert not calendar.is_workday(date(2026, 2, 16)) and not calendar.is_workday(date(2026, 2, 23))  # 春节
    assert not calendar.is_workday(date(2026, 10, 1)) and calendar.is_workday(date(2026, 10, 10))
    # 5 working days before 2月27日 (Fri), across 春节 and the 调休 Saturday 2月14日:
    assert calendar.before(date(2026, 2, 27), 5) == date(2026, 2, 13)
    assert calendar.after(date(2026, 2, 13), 1) == date(2026, 2, 14)


def test_a_year_nobody_knows_falls_back_to_weekends_and_is_reported():
    calendar = WorkCalendar()
    assert calendar.missing_years([2026, 2027]) == [2027]
    assert not calendar.is_workday(date(2027, 1, 2)) and calendar.is_workday(date(2027, 1, 1))  # a Friday
    # One pasted date overrides that day but does not make 2027 count as entered.
    table = WorkCalendar({date(2027, 1, 1): False, date(2027, 2, 20): True})
    assert table.missing_years([2026, 2027]) == [2027] and table.partial_years == {2027}
    assert not table.is_workday(date(2027, 1, 1)) and table.is_workday(date(2027, 2, 20))
    # A schedule with the 春节 and 国庆 holidays does.
    schedule = {date(2027, 1, 1): False, **{date(2027, 2, d): False for d in range(6, 14)},
                date(2027, 2, 20): True, **{date(2027, 10, d): False for d in range(1, 8)}}
    assert WorkCalendar(schedule).missing_years([2026, 2027]) == []
    without_national_day = {d: w for d, w in schedule.items() if d.month != 10}
    assert WorkCalendar(without_national_day).missing_years([2027]) == [2027]


def test_table_overrides_the_package():
    calendar = WorkCalendar({date(2026, 3, 2): False})
    assert not calendar.is_workday(date(2026, 3, 2))
    assert calendar.on_or_after(date(2026, 3, 2)) == date(2026, 3, 3)


def test_parse_holiday_list():
    entries = parse_holiday_text("日期,类型,说明\n2027-01-01 休 元旦\n2027/2/7,班\n2027年2月8日 休 春节\n\n")
    assert [(e.day, e.is_workday, e.note) for e in entries] == [
        (date(2027, 1, 1), False, "元旦"), (date(2027, 2, 7), True, ""), (date(2027, 2, 8), False, "春节")]
    with pytest.raises(DomainError, match="第2行"):
        parse_holiday_text("2027-01-01 休\n2027-13-01 休")
    with pytest.raises(DomainError, match="休.*班"):
        parse_holiday_text("2027-01-01 放风筝")


def test_holidays_move_notices_of_running_tasks(app, db, people, smtp_server):
    from tracker.models import Task

    task = people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    run_tick("2026-03-02T09:00")
    assert db.session.get(Task, task.id).next_check_at == at("2026-03-24T09:00")
    # The county declares 3月24日 a rest day: remind-5 moves to 3月23日.
    save_holidays(db.session, parse_holiday_text("2026-03-24 休 县里调整"), actor=people.org,
                  now=at("2026-03-03T10:00"))
    db.session.commit()
    run_tick("2026-03-03T10:05")
    db.session.refresh(task)
    assert task.next_check_at == at("2026-03-23T09:00")
    run_tick("2026-03-23T09:00")
    assert [m["message"]["X-Tracker-Key"] for m in received(smtp_server)] == [f"task:{task.id}:c1:remind-5"]


def test_deadline_on_a_rest_day_is_shown_and_reminded_on_the_workday_before(app, db, people, smtp_server):
    from flask import render_template_string

    task = people.task(db.session, deadline=date(2026, 10, 3))  # 国庆
    db.session.commit()
    with app.test_request_context():
        assert render_template_string("{{ d|workday_note }}", d=date(2026, 10, 3)) == "（休息日）"
        assert render_template_string("{{ d|workday_note }}", d=date(2026, 10, 10)) == ""
    run_tick("2026-09-30T09:00")  # the last working day on or before the deadline
    [mail] = received(smtp_server)
    assert mail["message"]["X-Tracker-Key"] == f"task:{task.id}:c1:remind-0"
    assert "2026年10月3日（休息日）" in mail["message"].get_body(preferencelist=("plain",)).get_content()


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)), st.integers(0, 25))
def test_before_and_after_land_on_working_days(day, n):
    calendar = WorkCalendar()
    before, after = calendar.before(day, n), calendar.after(day, max(1, n))
    assert calendar.is_workday(before) and calendar.is_workday(after)
    assert before <= day < after
    assert calendar.workdays_between(day, after) == max(1, n)
