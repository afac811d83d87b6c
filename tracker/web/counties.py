"""各县（市、区）: the city's or province's rollup of its counties, and one county drilled down to its units.

A county 组织部 sees its own county here; another county's page answers 404, like another unit's task.
"""
from flask import Blueprint, abort, render_template
from flask_login import current_user

from tracker.extensions import db
from tracker.models import Organization, Role
from tracker.services import access, rollup
from tracker.web.guards import roles_required
from tracker.web.main import county_today

bp = Blueprint("counties", __name__, url_prefix="/counties")


@bp.get("/")
@roles_required(Role.ORG_DEPT)
def index():
    rows = rollup.by_county(db.session, scope=access.county_scope(current_user), today=county_today())
    return render_template("counties/index.html", rows=rows, totals=rollup.totals(rows), levels=rollup.LEVELS,
                           organization=current_user.organization)


@bp.get("/<int:county_id>")
@roles_required(Role.ORG_DEPT)
def county(county_id: int):
    node = db.session.get(Organization, county_id)
    if node is None or not node.is_county or not access.covers_county(current_user, node.id):
        abort(404)
    rows = rollup.by_unit(db.session, node.id, today=county_today())
    return render_template("counties/county.html", county=node, rows=rows, totals=rollup.totals(rows),
                           levels=rollup.LEVELS)
