"""Who may see and act on what. Views answer 404 where these say no, so ids of other units reveal nothing.

Counties are tenants (tracker.models.tenants): a 组织部 or 纪委 account attached to a county sees that county
only, one attached to a city or province its subtree; an account with no organization sees the whole install
(a county install's accounts from before tenants). Secretaries are scoped by their unit, which lies in one
county. A row with no county is seen by unscoped accounts only: scoping fails closed.
"""
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import object_session

from tracker.extensions import db
from tracker.models import EscalationLevel, Organization, OrgLevel, Review, Role, Task, Unit, User

TASK_ACTORS = {Role.SECRETARY, Role.ORG_DEPT}
TREE_DEPTH = 3  # 省 → 市 → 县


def organization_scope(user: User):
    """A select() of every organization node in the user's subtree (its own included), or None for all."""
    org_id = user.organization_id
    if org_id is None:
        return None
    children = select(Organization.id).where(Organization.parent_id == org_id)
    grandchildren = select(Organization.id).where(Organization.parent_id.in_(children))
    return select(Organization.id).where(
        or_(Organization.id == org_id, Organization.id.in_(children), Organization.id.in_(grandchildren)))


def county_scope(user: User):
    """A select() of the ids of the counties this 组织部/纪委/admin account covers, or None for all."""
    scope = organization_scope(user)
    if scope is None:
        return None
    return select(Organization.id).where(Organization.level == OrgLevel.COUNTY, Organization.id.in_(scope))


def covers_county(user: User, county_id: int | None, session=None) -> bool:
    """Whether `county_id` lies in the user's subtree (walks up at most three parents, from the identity map)."""
    if user.organization_id is None:
        return True
    if county_id is None:
        return False
    session = session or object_session(user) or db.session
    current = county_id
    for _ in range(TREE_DEPTH):
        if current == user.organization_id:
            return True
        node = session.get(Organization, current)
        if node is None or node.parent_id is None:
            return False
        current = node.parent_id
    return current == user.organization_id


def _task_county(task: Task) -> int | None:
    if task.county_id is not None:
        return task.county_id
    # Not flushed yet: tracker.models.tenants fills it at flush from the unit.
    return task.unit.county_id if task.unit is not None else None


def can_view_task(user: User, task: Task) -> bool:
    role = user.role
    if role == Role.ORG_DEPT:
        return covers_county(user, _task_county(task), object_session(task))
    if role == Role.SECRETARY:
        return not task.is_overall and task.unit_id is not None and task.unit_id == user.unit_id
    if role == Role.DISCIPLINE:
        return (task.escalation_level >= EscalationLevel.SUPERVISION
                and covers_county(user, _task_county(task), object_session(task)))
    return False


def can_work_on_task(user: User, task: Task) -> bool:
    """Plan, progress, evidence, extension and closure requests."""
    if user.role == Role.ORG_DEPT:
        return can_view_task(user, task)
    return user.role == Role.SECRETARY and can_view_task(user, task)


def visible_tasks(user: User):
    """A select() of the tasks this user may see, for lists and counts."""
    query = select(Task)
    if user.role in (Role.ORG_DEPT, Role.DISCIPLINE):
        scope = county_scope(user)
        if scope is not None:
            query = query.where(Task.county_id.in_(scope))
        if user.role == Role.DISCIPLINE:
            query = query.where(Task.escalation_level >= EscalationLevel.SUPERVISION)
        return query
    if user.role == Role.SECRETARY and user.unit_id is not None:
        return query.where(Task.unit_id == user.unit_id, Task.is_overall.is_(False))
    return query.where(False)


def unit_scope(user: User):
    """The units an organization-department account may see, as a select() of Unit.id, or None for all.

    A county install's accounts answer None; a county 组织部 sees its county's units, a city or province one
    its subtree. A secretary sees their own unit (and nothing without one)."""
    if user.role == Role.SECRETARY:
        return select(Unit.id).where(Unit.id == user.unit_id) if user.unit_id is not None else select(
            Unit.id).where(False)
    scope = county_scope(user)
    if scope is None:
        return None
    return select(Unit.id).where(Unit.county_id.in_(scope))


@dataclass(frozen=True)
class TaskScope:
    """The tasks of a 组织部/纪委 account's counties: those of its units, and the county-wide problems (no unit)
    of its counties' reviews. For reads that go by unit and review, such as the maintained counts."""
    units: object  # select() of Unit.id
    reviews: object  # select() of Review.id


def task_scope(user: User) -> TaskScope | None:
    """None for an account that sees the whole install."""
    counties = county_scope(user)
    if counties is None:
        return None
    return TaskScope(units=select(Unit.id).where(Unit.county_id.in_(counties)),
                     reviews=select(Review.id).where(Review.county_id.in_(counties)))


def outbox_condition(user: User):
    """A condition on OutboxMessage: the mails about the account's counties' tasks and units, or None for all.
    A mail about no task or unit (a weekly 周报, an account's invitation) is shown to install-wide accounts
    only: it names no county to scope it by."""
    from tracker.models.notify import OutboxMessage

    scope = task_scope(user)
    if scope is None:
        return None
    counties = county_scope(user)
    return or_(OutboxMessage.task_id.in_(select(Task.id).where(Task.county_id.in_(counties))),
               OutboxMessage.unit_id.in_(scope.units))


def proposal_condition(user: User):
    """A condition on Proposal: those about the account's counties' units and tasks, or None for all."""
    from tracker.models.proposals import Proposal

    scope = task_scope(user)
    if scope is None:
        return None
    county_tasks = select(Task.id).where(Task.county_id.in_(county_scope(user)))
    return or_(Proposal.unit_id.in_(scope.units), and_(Proposal.unit_id.is_(None), Proposal.task_id.in_(county_tasks)))


def can_view_outbox_row(user: User, row) -> bool:
    return _covers_record(user, row)


def can_view_unit(user: User, unit: Unit) -> bool:
    if user.role == Role.SECRETARY:
        return unit.id == user.unit_id
    return covers_county(user, unit.county_id, object_session(unit))


def visible_reviews(user: User):
    """A select() of the reviews (述职评议 / 问题清单) a 组织部 or 纪委 account may see."""
    query = select(Review)
    scope = county_scope(user)
    return query if scope is None else query.where(Review.county_id.in_(scope))


def can_view_review(user: User, review: Review) -> bool:
    return covers_county(user, review.county_id, object_session(review))


def can_view_proposal_scope(user: User, proposal) -> bool:
    """The county half of a proposal's visibility (the role half is tracker.proposals.dossier's)."""
    return _covers_record(user, proposal)


def _covers_record(user: User, record) -> bool:
    """Whether a row about a unit or a task (a proposal, an outbox mail) lies in the user's counties: by its
    unit, else by its task (a county-wide task has no unit); a row about neither only for install-wide
    accounts."""
    if user.organization_id is None:
        return True
    session = object_session(record) or db.session
    if record.unit_id is not None:
        unit = session.get(Unit, record.unit_id)
        return unit is not None and covers_county(user, unit.county_id, session)
    task = session.get(Task, record.task_id) if record.task_id is not None else None
    return task is not None and covers_county(user, _task_county(task), session)


def visible_users(user: User, query):
    """`query` (a select of User) narrowed to the accounts of the user's subtree: secretaries of its units, and
    组织部/纪委/admin accounts attached inside it."""
    units = unit_scope(user)
    if units is None or user.role == Role.SECRETARY:
        return query
    return query.where(or_(User.unit_id.in_(units), User.organization_id.in_(organization_scope(user))))


def home_county_id(session, user: User | None) -> int | None:
    """Where what this account creates (imports, units) belongs: its county; the default county for an
    unscoped account; None for a city or province account, which must name the county."""
    from tracker.models.tenants import default_county_id

    if user is None or user.organization_id is None:
        return default_county_id(session)
    node = session.get(Organization, user.organization_id)
    return node.id if node is not None and node.is_county else None


def counties_of(session, user: User) -> list[Organization]:
    """The counties in the user's subtree, by name: the choices of a city or province account."""
    query = select(Organization).where(Organization.level == OrgLevel.COUNTY)
    scope = county_scope(user)
    if scope is not None:
        query = query.where(Organization.id.in_(scope))
    return list(session.scalars(query.order_by(Organization.name, Organization.id)))


def ancestors_of_counties(session) -> dict[int, frozenset[int]]:
    """Each county → the ids of the nodes that cover it (itself, its city, its province). One read of the small
    organization table: the scan and the digests filter a page's recipients with it in Python."""
    parents = dict(session.execute(select(Organization.id, Organization.parent_id)).all())
    covering = {}
    for node_id in parents:
        chain, current = [], node_id
        while current is not None and len(chain) <= TREE_DEPTH:
            chain.append(current)
            current = parents.get(current)
        covering[node_id] = frozenset(chain)
    return covering


def covers(user: User, county_id: int | None, covering: dict[int, frozenset[int]]) -> bool:
    """Whether a mail or notice about a task of `county_id` is for this 组织部/纪委 account (covering from
    ancestors_of_counties). Install-wide accounts get every county's; a row with no county only theirs."""
    if user.organization_id is None:
        return True
    return county_id is not None and user.organization_id in covering.get(county_id, ())


def staff_covering(session, county_id: int | None):
    """A condition on User: the 组织部/纪委/admin accounts that cover `county_id` (for one-off recipient lists,
    e.g. a proposal's mail)."""
    chain = ancestors_of_counties(session).get(county_id, frozenset()) if county_id is not None else frozenset()
    return or_(User.organization_id.is_(None), User.organization_id.in_(sorted(chain)))
