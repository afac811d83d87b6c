"""Access helpers for views: role checks, and lookups that answer 404 for what the user may not see."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from tracker.extensions import db
from tracker.models import Review, Task, Unit
from tracker.services.access import can_view_review, can_view_task, can_view_unit, can_work_on_task


def roles_required(*roles):
    """Logged in and one of `roles`, else 404 (a page's existence is not disclosed either)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def task_for_view(task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None or not can_view_task(current_user, task):
        abort(404)
    return task


def task_for_work(task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None or not can_work_on_task(current_user, task):
        abort(404)
    return task


def unit_for_manage(unit_id: int) -> Unit:
    """A unit of the current user's counties (renaming, merging, unit pages); 404 for another county's."""
    unit = db.session.get(Unit, unit_id)
    if unit is None or not can_view_unit(current_user, unit):
        abort(404)
    return unit


def review_for_view(review_id: int) -> Review:
    review = db.session.get(Review, review_id)
    if review is None or not can_view_review(current_user, review):
        abort(404)
    return review
