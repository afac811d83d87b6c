"""Working days overdue, as the escalation rules count them: shared by proposing, the dossier and the drafts.

Its own module so that proposing (tracker.proposals.service) does not import the dossier, which reads the
task timeline (tracker.services.timeline → workflow → proposals.service would be a cycle).
"""
from datetime import date

from tracker.escalation.calendar import WorkCalendar
from tracker.models import Task
from tracker.settings import settings
from tracker.timeutil import local_date


def days_overdue(task: Task, today: date, calendar: WorkCalendar) -> int:
    """Working days past the 整改时限 as of `today` (or as of closure for a closed task); 0 if not late.

    Counted like the escalation rules count (督办 after 5 working days, 约谈 after 10, 通报 after 20), so a
    proposal never reads "逾期8个工作日" next to a rule that says 10: the holiday table, then
    chinese_calendar, then weekends (WorkCalendar.workdays_between, deadline excluded, `today` included).
    """
    if task.deadline is None:
        return 0
    tz = settings().timezone
    until = local_date(task.closed_at, tz) if task.closed_at is not None else today
    return calendar.workdays_between(task.deadline, until)
