"""The jobs themselves: short functions over the services in tracker.notify, with an injected `now`."""
import logging
from datetime import datetime

from sqlalchemy.exc import IntegrityError, OperationalError

from jobs import leadership
from tracker.extensions import db
from tracker.models.types import utcnow
from tracker.escalation.calendar import WorkCalendar
from tracker.mail.delivery import DeliveryResult, deliver
from tracker.escalation.digest import enqueue_weekly_digests
from tracker.services.leases import touch_lease
from tracker.escalation.rules import in_sending_window
from tracker.escalation.scan import FIRST, Scanner, ScanResult
from tracker.settings import settings
from tracker.timeutil import local_datetime

log = logging.getLogger("tracker.jobs")
SCAN_ATTEMPTS = 3


def scan_job(now: datetime | None = None, holder: str = "tick") -> ScanResult:
    """One scan, committed one page of tasks at a time (then the unit check), each page all or nothing.
    A concurrent scan that wrote the same keys first makes our page fail on the unique key: then we roll
    that page back and read it again (its tasks the other scan handled are no longer due)."""
    now = now or utcnow()
    scanner = Scanner(db.session, now=now, holder=holder)
    total, after = ScanResult(), FIRST
    while after is not None:
        page, after = _in_transaction(lambda: scanner.page(after))
        total.merge(page)
    total.merge(_in_transaction(scanner.units))
    # One line per run, quiet or not: an operator sees from the log alone that the scan runs (issue 12).
    log.info("扫描完成：检查%d项，通知%d条，升级%d项，跳过%d条", total.checked, total.notices,
             total.level_changes, total.skipped,
             extra={"job": "scan", "checked": total.checked, "notices": total.notices,
                    "level_changes": total.level_changes, "units": total.units, "skipped": total.skipped})
    return total


def _in_transaction(step):
    for attempt in range(1, SCAN_ATTEMPTS + 1):
        try:
            result = step()
            db.session.commit()
            return result
        except (IntegrityError, OperationalError):
            db.session.rollback()
            if attempt == SCAN_ATTEMPTS:
                raise
            log.warning("扫描与另一进程冲突，重试（第%d次）", attempt)
        except BaseException:
            db.session.rollback()  # nothing of the failed page remains; the pages before it are committed
            raise
    raise AssertionError("unreachable")


def delivery_job(now: datetime | None = None, worker: str = "tick", batches: int = 50) -> DeliveryResult:
    """Sends due outbox rows, batch after batch, until none is due (bounded per run)."""
    total = DeliveryResult()
    for _ in range(batches):
        result = deliver(db.session, now=now or utcnow(), worker=worker, still_leading=leadership.still_leading)
        total.claimed += result.claimed
        total.sent += result.sent
        total.retried += result.retried
        total.failed += result.failed
        total.errors.extend(result.errors)
        if result.claimed == 0 or result.sent == 0:
            break
    log.info("投递完成：取出%d封，发送%d封，待重试%d封，失败%d封", total.claimed, total.sent, total.retried,
             total.failed, extra={"job": "deliver", "claimed": total.claimed, "sent": total.sent,
                                  "retried": total.retried, "failed": total.failed})
    return total


def digest_job(now: datetime | None = None) -> int:
    """This ISO week's 周报, on the first working-day morning the scheduler is up (idempotent per week,
    so it is safe to run every hour, and a scheduler down on Monday still sends it that week)."""
    now = now or utcnow()
    config = settings()
    if not in_sending_window(local_datetime(now, config.timezone), config.notice_hour, config.notice_end_hour,
                             WorkCalendar.load(db.session)):
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
