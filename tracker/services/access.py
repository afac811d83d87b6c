"""Who may see and act on what. Views answer 404 where these say no, so ids of other units reveal nothing."""
from sqlalchemy import select

from tracker.models import EscalationLevel, Role, Task, User

TASK_ACTORS = {Role.SECRETARY, Role.ORG_DEPT}


def can_view_task(user: User, task: Task) -> bool:
    role = user.role
    if role == Role.ORG_DEPT:
        return True
    if role == Role.SECRETARY:
        return not task.is_overall and task.unit_id is not None and task.unit_id == user.unit_id
    if role == Role.DISCIPLINE:
        return task.escalation_level >= EscalationLevel.SUPERVISION
    return False


def can_work_on_task(user: User, task: Task) -> bool:
    """Plan, progress, evidence, extension and closure requests."""
    if user.role == Role.ORG_DEPT:
        return True
    return user.role == Role.SECRETARY and can_view_task(user, task)


def visible_tasks(user: User):
    """A select() of the tasks this user may see, for lists and counts."""
    query = select(Task)
    if user.role == Role.ORG_DEPT:
        return query
    if user.role == Role.SECRETARY and user.unit_id is not None:
        return query.where(Task.unit_id == user.unit_id, Task.is_overall.is_(False))
    if user.role == Role.DISCIPLINE:
        return query.where(Task.escalation_level >= EscalationLevel.SUPERVISION)
    return query.where(False)


def unit_scope(user: User):
    """The units an organization-department account may see, as a select() of Unit.id, or None for all.

    A county install has one county and answers None; with counties as tenants a county 组织部 sees its
    county's units, a city or province one its subtree."""
    return None
