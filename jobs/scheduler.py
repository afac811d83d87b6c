"""`tracker scheduler`: one process runs the jobs; web workers never do.

APScheduler runs a job once per process that starts a scheduler, so the scheduler lives only here, with
its jobs declared in code (memory job store). Before starting it the process becomes the leader (an
advisory lock on PostgreSQL, a file lock on SQLite, see jobs.leadership); a second scheduler waits
and takes over when the first dies.
"""
import logging
import os
import signal
import time
from datetime import datetime, timezone

from apscheduler.schedulers.blocking import BlockingScheduler

from jobs.runner import in_app_context
from jobs.tasks import delivery_job, digest_job, heartbeat_job, scan_job
from tracker.extensions import db
from tracker.models.types import utcnow
from tracker.mail.delivery import release_dead_claims
from jobs.leadership import holder_name, leadership_for
from tracker.services.leases import touch_lease

log = logging.getLogger("tracker.scheduler")
LEADER_LOG = "调度器已成为领导者"


def wait_for_leadership(leadership, poll_seconds: float, stop) -> bool:
    announced = False
    while not stop():
        if leadership.try_acquire():
            return True
        if not announced:
            log.info("另一个调度器正在运行，本进程等待接管（每%.1f秒检查一次）", poll_seconds)
            announced = True
        time.sleep(poll_seconds)
    return False


def build_scheduler(app, holder: str, leadership) -> BlockingScheduler:
    config = app.config.settings
    scheduler = BlockingScheduler(timezone=config.timezone)
    start = datetime.now(timezone.utc)
    common = {"max_instances": 1, "coalesce": True, "next_run_time": start, "misfire_grace_time": 60}
    scheduler.add_job(in_app_context(app, lambda: scan_job(holder=holder)), "interval",
                      seconds=config.scheduler.scan_seconds,
                      id="scan", name="扫描到期通知", **common)
    scheduler.add_job(in_app_context(app, lambda: delivery_job(worker=holder)), "interval",
                      seconds=config.scheduler.delivery_seconds, id="deliver",
                      name="投递邮件", **common)

    scheduler.add_job(in_app_context(app, digest_job), "interval", hours=1, id="digest", name="整改督办周报",
                      **common)

    def keep_leading():
        if not leadership.still_held():
            log.error("调度器失去领导权（锁连接中断），退出以便其他调度器接管")
            scheduler.shutdown(wait=False)
            os._exit(3)
        heartbeat_job(holder)

    scheduler.add_job(in_app_context(app, keep_leading), "interval",
                      seconds=config.scheduler.heartbeat_seconds, id="heartbeat",
                      name="心跳", **common)
    return scheduler


def run_scheduler(app) -> int:
    holder = holder_name("scheduler")
    leadership = leadership_for(app.config.settings)
    stopping = {"flag": False}
    scheduler_ref = {}

    def stop(_signum, _frame):
        stopping["flag"] = True
        if "scheduler" in scheduler_ref and scheduler_ref["scheduler"].running:
            scheduler_ref["scheduler"].shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    poll = app.config.settings.scheduler.leader_poll_seconds
    if not wait_for_leadership(leadership, poll, lambda: stopping["flag"]):
        return 0
    try:
        with app.app_context():
            now = utcnow()
            touch_lease(db.session, "scheduler", holder, now, acquired=True)
            db.session.commit()
            released = release_dead_claims(db.session, "scheduler:", holder)
            db.session.remove()
        log.info("%s：%s（释放前任未完成的邮件 %d 封）", LEADER_LOG, holder, released)
        scheduler = build_scheduler(app, holder, leadership)
        scheduler_ref["scheduler"] = scheduler
        if not stopping["flag"]:
            scheduler.start()
    finally:
        leadership.release()
        with app.app_context():
            db.engine.dispose()  # the jobs' pooled connections, closed now rather than by the garbage collector
        log.info("调度器已停止：%s", holder)
    return 0
