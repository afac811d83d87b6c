"""操作日志: who changed what, when, from what to what — every audited record, for the organization department
and the administrators; filtered by person, unit, kind and date, paged."""
from datetime import timedelta

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from tracker.extensions import db
from tracker.models import AuditEvent, Role, Task, Unit, User
from tracker.services import access
from tracker.services.dashboard import active_units
from tracker.services.timeline import ENTITY_LABELS, log_entries
from tracker.settings import settings
from tracker.timeutil import at_local
from tracker.web.guards import roles_required
from tracker.web.main import PER_PAGE
from tracker.web.org_forms import date_field, int_arg

bp = Blueprint("audit_log", __name__, url_prefix="/audit")


def events_query(*, actor_id=None, unit_id=None, kind=None, since=None, until=None, viewer=None):
    """A select() of the events, newest first; the view pages it. `viewer`: a county-scoped account sees the
    events on its counties' tasks, units and accounts, and what its counties' people did."""
    query = select(AuditEvent).options(joinedload(AuditEvent.actor)).order_by(AuditEvent.at.desc(),
                                                                              AuditEvent.id.desc())
    counties = access.county_scope(viewer) if viewer is not None else None
    if counties is not None:
        people = access.visible_users(viewer, select(User.id))
        query = query.where(or_(
            AuditEvent.task_id.in_(select(Task.id).where(Task.county_id.in_(counties))),
            (AuditEvent.entity_type == Unit.__tablename__) & AuditEvent.entity_id.in_(access.unit_scope(viewer)),
            (AuditEvent.entity_type == User.__tablename__) & AuditEvent.entity_id.in_(people),
            AuditEvent.actor_id.in_(people)))
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
    if unit_id:
        tasks = select(Task.id).where(Task.unit_id == unit_id)
        users = select(User.id).where(User.unit_id == unit_id)
        query = query.where(or_(AuditEvent.task_id.in_(tasks),
                                (AuditEvent.entity_type == Unit.__tablename__) & (AuditEvent.entity_id == unit_id),
                                (AuditEvent.entity_type == User.__tablename__) & AuditEvent.entity_id.in_(users)))
    if kind:
        query = query.where(AuditEvent.entity_type == kind)
    tz = settings().timezone
    if since:
        query = query.where(AuditEvent.at >= at_local(since, 0, tz))
    if until:
        query = query.where(AuditEvent.at < at_local(until + timedelta(days=1), 0, tz))
    return query


@bp.get("/", endpoint="index")
@roles_required(Role.ORG_DEPT, Role.ADMIN)
def index():
    args = request.args
    since, since_error = date_field(args, "since", label="开始日期", required=False)
    until, until_error = date_field(args, "until", label="结束日期", required=False)
    kind = args.get("kind") if args.get("kind") in ENTITY_LABELS else None
    filters = {"actor": int_arg(args.get("actor")), "unit": int_arg(args.get("unit")), "kind": kind,
               "since": since, "until": until}
    page = db.paginate(events_query(actor_id=filters["actor"], unit_id=filters["unit"], kind=kind, since=since,
                                    until=until, viewer=current_user), per_page=PER_PAGE, error_out=False)
    people = db.session.scalars(access.visible_users(current_user, select(User)).where(
        User.id.in_(select(AuditEvent.actor_id).distinct())).order_by(User.name, User.id)).all()
    kept = {k: args.get(k) for k in ("actor", "unit", "kind", "since", "until") if args.get(k)}
    return render_template("org/audit_log.html", page=page, entries=log_entries(db.session, page.items),
                           people=people, units=active_units(db.session, access.unit_scope(current_user)), kinds=ENTITY_LABELS, filters=filters,
                           args=kept, errors={"since": since_error, "until": until_error})
