"""Levels never go backwards: random timelines of scans, extensions and config edits (hypothesis)."""
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.models import TaskType
from tracker.escalation.calendar import WorkCalendar
from config import Config
from tracker.escalation.rules import decide
from tracker.timeutil import at_local

CALENDAR = WorkCalendar()
steps = st.lists(st.tuples(st.integers(0, 9), st.integers(0, 23), st.booleans(), st.integers(1, 30)),
                 min_size=1, max_size=25)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deadline_offset=st.integers(-10, 40), timeline=steps)
def test_levels_only_rise_and_stage_only_advances(deadline_offset, timeline):
    start = date(2026, 3, 2)
    deadline = start + timedelta(days=deadline_offset)
    level, cycle, stage = 0, 1, None
    day = start
    sent = set()
    for days_forward, hour, extend, extension_days in timeline:
        day += timedelta(days=days_forward)
        now = at_local(day, 0) + timedelta(hours=hour)
        if extend and days_forward == 0:  # an approved 延期: new deadline, new cycle
            deadline = max(deadline, day) + timedelta(days=extension_days)
            cycle += 1
            continue
        decision = decide(task_type=TaskType.TIME_LIMITED, deadline=deadline, start=start, level=level,
                          cycle=cycle, stage=stage, policy=Config.ESCALATION_RULES, now=now, notice_hour=9, calendar=CALENDAR)
        assert decision.new_level >= level
        if decision.send is not None:
            key = (cycle, decision.send.rule)
            assert key not in sent  # each notice of a cycle at most once
            sent.add(key)
            assert CALENDAR.is_workday(day) and hour >= 9
        if decision.next_check_at is not None:
            assert decision.next_check_at > now
        level, stage = decision.new_level, decision.stage
