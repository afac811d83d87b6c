"""The one wrapper every job runs through: an app context, a clean session, a rollback on failure."""
import functools
import logging

from tracker.extensions import db

log = logging.getLogger("tracker.jobs")


def in_app_context(app, job):
    """Runs `job()` inside `app`'s context; a failing job rolls back, is logged, and the scheduler goes on."""

    @functools.wraps(job)
    def run(*args, **kwargs):
        with app.app_context():
            try:
                return job(*args, **kwargs)
            except Exception:
                db.session.rollback()
                log.exception("定时任务 %s 执行失败", getattr(job, "__name__", job))
                return None
            finally:
                db.session.remove()

    return run
