"""Working days: the organization department's holiday table, then chinese_calendar, then weekends.

chinese_calendar 1.11.0 knows the State Council schedules up to 2026 and raises NotImplementedError
beyond; a year neither it nor the table knows falls back to Saturday/Sunday rest days, and the
dashboard warns about it (missing_years).

A year counts as entered in the table only when the table holds a plausible schedule for it (see
schedule_complete): one pasted date must not silence the warning for the whole year.
"""
from bisect import bisect_right
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar
from sqlalchemy import select

from tracker.models.notify import HolidayDay

# A deadline never lies more than this many days from a workday; guards loops against a broken table.
_MAX_STEPS = 4000


@lru_cache(maxsize=64)
def package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


# 春节 always falls between 1月21日 and 2月20日; 国庆 holidays start on 10月1日 and last about a week.
SPRING_FESTIVAL = ((1, 21), (2, 20))
NATIONAL_DAY = ((10, 1), (10, 8))
SPRING_FESTIVAL_MIN_REST_WEEKDAYS = 3
COMPLETENESS_RULE = ("某年度的节假日表中春节假期（1月21日至2月20日之间）至少有3个周一至周五被标为“休”，"
                     "且国庆假期（10月1日至10月8日之间）至少有1天被标为“休”时，才视为该年度已完整录入；"
                     "否则仍按周末休息计算并在首页提示。")


def schedule_complete(year: int, overrides: dict[date, bool]) -> bool:
    """Whether the table holds a plausible State Council schedule for `year` (COMPLETENESS_RULE)."""
    def rest_days(window):
        (m1, d1), (m2, d2) = window
        return [d for d, workday in overrides.items()
                if not workday and date(year, m1, d1) <= d <= date(year, m2, d2)]
    spring = [d for d in rest_days(SPRING_FESTIVAL) if d.weekday() < 5]
    return len(spring) >= SPRING_FESTIVAL_MIN_REST_WEEKDAYS and bool(rest_days(NATIONAL_DAY))


class WorkCalendar:
    def __init__(self, overrides: dict[date, bool] | None = None, table_years: set[int] | None = None):
        self.overrides = dict(overrides or {})
        years_with_rows = {d.year for d in self.overrides}
        # Years the table covers completely; years with some rows only are `partial_years`.
        self.table_years = set(table_years) if table_years is not None else {
            y for y in years_with_rows if schedule_complete(y, self.overrides)}
        self.partial_years = years_with_rows - self.table_years
        self._cache: dict[date, bool] = {}
        self._exceptions: tuple[list[date], list[int]] | None = None
        # (direction, day, workdays) → day: a scan asks the same few hundred deadlines for thousands of tasks.
        self._steps: dict[tuple[int, date, int], date] = {}

    @classmethod
    def load(cls, session) -> "WorkCalendar":
        """The whole table: a few dozen rows a year, read once per scan or request."""
        rows = session.execute(select(HolidayDay.day, HolidayDay.is_workday)).all()
        return cls({day: bool(workday) for day, workday in rows})

    def is_workday(self, day: date) -> bool:
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        if day in self.overrides:
            result = self.overrides[day]
        elif package_knows(day.year):
            result = chinese_calendar.is_workday(day)
        else:
            result = day.weekday() < 5
        self._cache[day] = result
        return result

    def knows(self, year: int) -> bool:
        return year in self.table_years or package_knows(year)

    def missing_years(self, years) -> list[int]:
        return [y for y in years if not self.knows(y)]

    def on_or_before(self, day: date) -> date:
        for _ in range(_MAX_STEPS):
            if self.is_workday(day):
                return day
            day -= timedelta(days=1)
        raise ValueError("日历中找不到工作日")

    def on_or_after(self, day: date) -> date:
        for _ in range(_MAX_STEPS):
            if self.is_workday(day):
                return day
            day += timedelta(days=1)
        raise ValueError("日历中找不到工作日")

    def before(self, deadline: date, workdays: int) -> date:
        """The day `workdays` working days before `deadline` (0: the deadline, or the last workday before it)."""
        return self._step(-1, deadline, workdays)

    def after(self, deadline: date, workdays: int) -> date:
        """The `workdays`-th working day after `deadline` (1: the first workday after it)."""
        return self._step(1, deadline, workdays)

    def _step(self, direction: int, deadline: date, workdays: int) -> date:
        known = self._steps.get((direction, deadline, workdays))
        if known is not None:
            return known
        if workdays <= 0:
            found = self.on_or_after(deadline) if direction > 0 else self.on_or_before(deadline)
        else:
            day, counted, found, step = deadline, 0, None, timedelta(days=direction)
            for _ in range(_MAX_STEPS):
                day += step
                if self.is_workday(day):
                    counted += 1
                    if counted == workdays:
                        found = day
                        break
            if found is None:
                raise ValueError("日历中找不到工作日")
        self._steps[(direction, deadline, workdays)] = found
        return found

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many working days overdue a task is on `end`.

        Counted arithmetically, not day by day (a scan asks this for thousands of tasks up to months late):
        Monday–Friday in whole weeks plus the remainder, corrected by the days whose status differs from
        that rule (holidays on weekdays, 调休 weekends), read from a sorted list with bisect."""
        if end <= start:
            return 0
        days, counted = _weekdays_until(end) - _weekdays_until(start), 0
        dates, deltas = self._exception_index()
        lo, hi = bisect_right(dates, start), bisect_right(dates, end)
        if hi > lo:
            counted = deltas[hi] - deltas[lo]
        return days + counted

    def _exception_index(self) -> tuple[list[date], list[int]]:
        """Days that break the Monday–Friday rule, sorted, with prefix sums of their correction (±1)."""
        if self._exceptions is None:
            candidates = set(self.overrides) | set(chinese_calendar.holidays) | set(chinese_calendar.workdays)
            dates = sorted(d for d in candidates if self.is_workday(d) != (d.weekday() < 5))
            sums = [0]
            for day in dates:
                sums.append(sums[-1] + (1 if self.is_workday(day) else -1))
            self._exceptions = (dates, sums)
        return self._exceptions


def _weekdays_until(day: date) -> int:
    """Monday–Friday days from a fixed Monday up to and including `day`."""
    offset = (day - _EPOCH_MONDAY).days
    weeks, rest = divmod(offset + 1, 7)
    return weeks * 5 + min(rest, 5)


_EPOCH_MONDAY = date(1970, 1, 5)


def rest_day_note(day: date | None, calendar: WorkCalendar) -> str:
    if day is None:
        return ""
    return "" if calendar.is_workday(day) else "（休息日）"
