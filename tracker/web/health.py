"""/healthz and /readyz for load balancers and monitoring (open to anonymous callers: they say nothing
about tasks or people, only whether this process, the database, the scheduler and the mail queue work).

/healthz: the process answers (no database query, so a database outage does not get every web process
restarted by a watchdog). /readyz: the database answers, the scheduler's heartbeat (the 'scheduler' row of
scheduler_lease, touched every SCHEDULER_HEARTBEAT_SECONDS by the leader) is younger than
READY_HEARTBEAT_MINUTES, and no pending mail has been due for longer than READY_OUTBOX_MINUTES (the
scheduler tries due mail every minute; a retry after a failure gets a later due time, so only mail that
nobody tries counts as stuck). 200 when all hold, else 503; JSON either way.
"""
import json

from flask import Blueprint, current_app
from sqlalchemy import func, select, text

from tracker.extensions import db
from tracker.models.notify import OutboxMessage, OutboxStatus, SchedulerLease
from tracker.models.types import utcnow

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return _json({"status": "ok", "message": "进程运行中"}, 200)


def _json(body: dict, status: int):
    """Chinese as it is, not as \\u escapes: operators read these answers with curl."""
    return current_app.response_class(json.dumps(body, ensure_ascii=False), status=status,
                                      mimetype="application/json")


@bp.get("/readyz")
def readyz():
    now = utcnow()
    config = current_app.config
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
        checks["scheduler"] = _scheduler(now, int(config["READY_HEARTBEAT_MINUTES"]))
        checks["mail_queue"] = _mail_queue(now, int(config["READY_OUTBOX_MINUTES"]))
    except Exception as exc:  # noqa: BLE001 - any database failure means "not ready", never a 500
        db.session.rollback()
        current_app.logger.warning("readyz: database unreachable: %s", exc)
        checks["database"] = {"ok": False, "message": "数据库无法连接", "error": type(exc).__name__}
    ready = all(check["ok"] for check in checks.values()) and len(checks) == 3
    return _json({"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503)


def _scheduler(now, minutes: int) -> dict:
    row = db.session.get(SchedulerLease, "scheduler")
    if row is None or row.heartbeat_at is None:
        return {"ok": False, "message": "调度器从未运行（tracker scheduler）"}
    age = (now - row.heartbeat_at).total_seconds()
    result = {"holder": row.holder, "heartbeat_age_seconds": round(age), "limit_minutes": minutes}
    if age > minutes * 60:
        return {"ok": False, "message": f"调度器心跳已停止超过{minutes}分钟", **result}
    return {"ok": True, **result}


def _mail_queue(now, minutes: int) -> dict:
    oldest = db.session.scalar(select(func.min(OutboxMessage.next_attempt_at))
                               .where(OutboxMessage.status == OutboxStatus.PENDING,
                                      OutboxMessage.next_attempt_at <= now))
    if oldest is None:
        return {"ok": True, "oldest_due_seconds": 0}
    age = (now - oldest).total_seconds()
    result = {"oldest_due_seconds": round(age), "limit_minutes": minutes}
    if age > minutes * 60:
        return {"ok": False, "message": f"有邮件到期超过{minutes}分钟仍未投递", **result}
    return {"ok": True, **result}
