"""县委组织部's 工作台 (the org blueprint's "/"): totals, the ranked unit table, the closure trend."""
from flask import abort, render_template, request
from flask_login import current_user

from tracker.extensions import db
from tracker.models import Review, Role
from tracker.services import dashboard
from tracker.services.access import task_scope
from tracker.settings import settings
from tracker.web import charts
from tracker.web.guards import roles_required
from tracker.web.main import county_today, due_soon_days, paginate_rows
from tracker.web.org import bp, reviews
from tracker.web.org_forms import int_arg, sort_arg


@bp.get("/", endpoint="dashboard")
@roles_required(Role.ORG_DEPT)
def dashboard_view():
    review_id = int_arg(request.args.get("review"))
    review = db.session.get(Review, review_id) if review_id else None
    if review_id and review is None:
        abort(404)
    sort = sort_arg(request.args.get("sort"))
    q = (request.args.get("q") or "").strip()[:100]
    bucket = "month" if request.args.get("bucket") == "month" else "week"
    today = county_today()
    within = task_scope(current_user)  # None: the whole install
    totals = dashboard.overview(db.session, review_id=review_id, today=today, due_soon_days=due_soon_days(),
                                within=within)
    rows = paginate_rows(dashboard.unit_rows_query(review_id=review_id, today=today, sort=sort, q=q,
                                                   due_soon_days=due_soon_days(), within=within),
                         row=lambda r: dashboard.unit_row(r, today), per_page=20)
    rows.items = dashboard.exact_lateness(db.session, rows.items, today=today, review_id=review_id)
    series = dashboard.closures_over_time(db.session, review_id=review_id, bucket=bucket, tz=settings().timezone,
                                          until=today, within=within)
    return render_template(
        "org/dashboard.html", reviews=reviews(), review=review, totals=totals, rows=rows, sort=sort, q=q,
        bucket=bucket,
        closure_chart=charts.rate_line(dashboard.closure_rate_series(series, totals.total), title="累计销号率"),
        unit_chart=charts.unit_bars(rows.items, title="各责任单位销号情况"),
    )
