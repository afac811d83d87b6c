"""The notify panel of the organization department's dashboard: one aggregate query per figure."""
from datetime import datetime

from sqlalchemy import func, or_, select

from tracker.models import EscalationLevel, Task
from tracker.models.notify import OutboxMessage, OutboxStatus
from tracker.escalation.calendar import WorkCalendar
from tracker.services import access
from tracker.services.aggregates import open_levels
from tracker.services.leases import lease
from tracker.timeutil import local_date
from tracker.settings import settings

UNACKNOWLEDGED_SHOWN = 20


def unacknowledged_filter():
    """已提醒未签收: open, notified, and the latest notice not confirmed.

    Exactly the predicate of the partial index ix_task_unacknowledged (models/task.py UNACKNOWLEDGED_SQL),
    so the count and the list read that index only. closed_at is NULL exactly while a task is not 已销号.
    """
    return (Task.closed_at.is_(None), Task.last_notice_at.is_not(None),
            or_(Task.acknowledged_at.is_(None), Task.acknowledged_at < Task.last_notice_at))


def dashboard_summary(session, *, now: datetime, viewer=None) -> dict:
    """`viewer`: the account looking; a county-scoped one sees its counties' figures and tasks only. The
    per-level counts come from the maintained counts (services.aggregates), not a GROUP BY over all tasks."""
    today = local_date(now, settings().timezone)
    counties = access.county_scope(viewer) if viewer is not None else None
    own = [] if counties is None else [Task.county_id.in_(counties)]
    mails = [] if viewer is None or (cond := access.outbox_condition(viewer)) is None else [cond]
    levels = open_levels(session, within=access.task_scope(viewer) if viewer is not None else None)
    unacked_total = session.scalar(select(func.count()).select_from(Task).where(*unacknowledged_filter(), *own)) or 0
    unacked = session.scalars(select(Task).where(*unacknowledged_filter(), *own)
                              .order_by(Task.last_notice_at.asc(), Task.id).limit(UNACKNOWLEDGED_SHOWN)).all()
    outbox = dict(session.execute(select(OutboxMessage.status, func.count())
                                  .where(OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING,
                                                                   OutboxStatus.FAILED)), *mails)
                                  .group_by(OutboxMessage.status)).all())
    calendar = WorkCalendar.load(session)
    missing = calendar.missing_years([today.year, today.year + 1])
    scheduler = lease(session, "scheduler")
    return {
        "levels": [(level, label, levels.get(level, 0)) for level, label in EscalationLevel.LABELS.items()],
        "unacknowledged": unacked,
        "unacknowledged_total": unacked_total,
        "pending_mails": outbox.get(OutboxStatus.PENDING, 0) + outbox.get(OutboxStatus.SENDING, 0),
        "failed_mails": outbox.get(OutboxStatus.FAILED, 0),
        "missing_years": missing,
        "holiday_warning": _holiday_warning(missing, calendar),
        "scheduler": scheduler,
    }


def _holiday_warning(missing: list[int], calendar: WorkCalendar) -> str:
    if not missing:
        return ""
    parts = [f"{y}年节假日安排录入不完整（须包含春节和国庆假期）" if y in calendar.partial_years
             else f"{y}年节假日安排尚未录入" for y in missing]
    return ("；".join(parts) + "，目前按周末休息计算工作日，请在“节假日”页面录入国务院公布的全年放假调休安排。")
