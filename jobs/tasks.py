"""The jobs themselves: short functions over the services in tracker.notify, with an injected `now`."""
import logging
from datetime import datetime

from flask import current_app
from sqlalchemy.exc import IntegrityError, OperationalError

from tracker.extensions import db
from tracker.models.types import utcnow
from tracker.notify.calendar import WorkCalendar
from tracker.notify.delivery import DeliveryResult, deliver
from tracker.notify.digest import enqueue_weekly_digests
from tracker.notify.lock import touch_lease
from tracker.notify.scan import ScanResult, run_scan
from tracker.timeutil import local_date, local_datetime

log = logging.getLogger("tracker.jobs")
SCAN_ATTEMPTS = 3


def scan_job(now: datetime | None = None, holder: str = "tick") -> ScanResult:
    """One scan, committed as one transaction. A concurrent scan that wrote the same keys first makes
    ours fail on the unique key: then we roll back and look again (and find nothing left to do)."""
    now = now or utcnow()
    for attempt in range(1, SCAN_ATTEMPTS + 1):
        try:
            result = run_scan(db.session, now=now, holder=holder)
            db.session.commit()
            if result.notices or result.level_changes or result.units:
                log.info("扫描完成：检查%d项，通知%d条，升级%d项，跳过%d条", result.checked, result.notices,
                         result.level_changes, result.skipped)
            return result
        except (IntegrityError, OperationalError):
            db.session.rollback()
            if attempt == SCAN_ATTEMPTS:
                raise
            log.warning("扫描与另一进程冲突，重试（第%d次）", attempt)
    raise AssertionError("unreachable")


def delivery_job(now: datetime | None = None, worker: str = "tick", batches: int = 50) -> DeliveryResult:
    """Sends due outbox rows, batch after batch, until none is due (bounded per run)."""
    total = DeliveryResult()
    for _ in range(batches):
        result = deliver(db.session, now=now or utcnow(), worker=worker)
        total.claimed += result.claimed
        total.sent += result.sent
        total.retried += result.retried
        total.failed += result.failed
        total.errors.extend(result.errors)
        if result.claimed == 0 or result.sent == 0:
            break
    return total


def digest_job(now: datetime | None = None) -> int:
    """This ISO week's 周报, on the first working-day morning the scheduler is up (idempotent per week,
    so it is safe to run every hour, and a scheduler down on Monday still sends it that week)."""
    now = now or utcnow()
    config = current_app.config
    today = local_date(now, config.get("TIMEZONE"))
    if local_datetime(now, config.get("TIMEZONE")).hour < int(config.get("NOTICE_HOUR", 9)):
        return 0
    if not WorkCalendar.load(db.session).is_workday(today):
        return 0
    added = enqueue_weekly_digests(db.session, now)
    db.session.commit()
    if added:
        log.info("已生成本周整改督办周报%d份", added)
    return added


def heartbeat_job(holder: str, now: datetime | None = None) -> None:
    touch_lease(db.session, "scheduler", holder, now or utcnow())
    db.session.commit()


def tick(now: datetime | None = None, worker: str = "tick") -> tuple[ScanResult, DeliveryResult]:
    """One scan and one delivery at `now`: for operators and tests (`tracker jobs tick --now ...`)."""
    scan = scan_job(now, holder=worker)
    delivery = delivery_job(now, worker=worker)
    return scan, delivery
