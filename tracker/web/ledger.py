"""整改台账: choose review(s), download the .xlsx, or print the same ledger as a web page.

县委组织部 sees every row; a secretary only the rows of their own unit; anyone else gets 404.
"""
import io

from flask import Blueprint, abort, render_template, request, send_file
from flask_login import current_user
from sqlalchemy import exists

from tracker.extensions import db
from tracker.models import Review, Role, Task, TaskStatus
from tracker.services import access, ledger
from tracker.settings import settings
from tracker.timeutil import cn_date
from tracker.web.guards import roles_required
from tracker.web.hardening import parse_int
from tracker.web.main import county_today, paginate_rows

bp = Blueprint("ledger", __name__, url_prefix="/ledger")

MAX_REVIEWS = 20


def _own_unit() -> int | None:
    """The unit whose rows a secretary may see; None for the organization department (all rows)."""
    if current_user.role == Role.ORG_DEPT:
        return None
    if current_user.unit_id is None:
        abort(404)
    return current_user.unit_id


def _reviews_query(unit_id: int | None):
    query = access.visible_reviews(current_user).order_by(Review.held_on.desc(), Review.id.desc())
    if unit_id is not None:
        query = query.where(exists().where(Task.review_id == Review.id, Task.unit_id == unit_id,
                                           Task.is_overall.is_(False)))
    return query


def _chosen_reviews(unit_id: int | None) -> list[Review]:
    ids = []
    for raw in request.args.getlist("review")[:MAX_REVIEWS]:
        review_id = parse_int(raw, minimum=0)
        if review_id is None:
            abort(404)
        ids.append(review_id)
    if not ids:
        abort(404)
    found = {r.id: r for r in db.session.scalars(_reviews_query(unit_id).where(Review.id.in_(ids)))}
    if len(found) != len(set(ids)):
        abort(404)  # unknown, or (for a secretary) holding none of their unit's tasks
    return [found[i] for i in dict.fromkeys(ids)]


def _sheets(unit_id: int | None):
    tz = settings().timezone
    return [(review, ledger.ledger_rows(db.session, review, unit_id=unit_id, tz=tz))
            for review in _chosen_reviews(unit_id)]


def _heading() -> dict:
    """填报单位 and 填报日期 of the sheet: the department, or the secretary's own unit."""
    org = settings().org_dept_name
    by = current_user.unit.name if current_user.role == Role.SECRETARY and current_user.unit else org
    return {"org_name": org, "filled_by": by, "filled_on": cn_date(county_today())}


@bp.get("/")
@roles_required(Role.ORG_DEPT, Role.SECRETARY)
def index():
    """The chosen review's ledger on screen, filtered by 责任单位, 状态 and text, a page at a time, with its
    downloads (which always hold the whole ledger)."""
    unit_id = _own_unit()
    reviews = db.session.scalars(_reviews_query(unit_id)).all()
    chosen = request.args.get("review", "")
    review = next((r for r in reviews if str(r.id) == chosen), reviews[0] if reviews else None)
    if chosen and (review is None or str(review.id) != chosen):
        abort(404)
    filters = ledger.LedgerFilters(unit=request.args.get("unit", "")[:200], status=request.args.get("status", "")[:20],
                                   q=(request.args.get("q") or "").strip()[:100])
    page = rows = None
    if review is not None:
        page = paginate_rows(ledger.ledger_select(review.id, unit_id=unit_id, filters=filters))
        rows = ledger.rows_of(db.session, page.items, owners_view=unit_id is not None, tz=settings().timezone)
    args = {k: v for k, v in (("review", review.id if review else None), ("unit", filters.unit),
                              ("status", filters.status), ("q", filters.q)) if v}
    return render_template(
        "ledger/index.html", reviews=reviews, review=review, page=page, rows=rows or [], args=args,
        total=ledger.ledger_count(db.session, review.id, unit_id=unit_id) if review else 0,
        columns=ledger.COLUMNS, statuses=list(TaskStatus), filters=filters,
        unit_names=ledger.ledger_unit_names(db.session, review.id) if review and unit_id is None else [],
        title=ledger.ledger_title(review, settings().org_dept_name) if review else "",
        own_unit_only=unit_id is not None, **_heading())


@bp.get("/download")
@roles_required(Role.ORG_DEPT, Role.SECRETARY)
def download():
    sheets = _sheets(_own_unit())
    data = ledger.build_workbook(sheets, **_heading())
    # Werkzeug writes a non-ASCII download_name as filename*=UTF-8''… (RFC 5987) with an ASCII fallback.
    return send_file(io.BytesIO(data), as_attachment=True, download_name=ledger.download_name([r for r, _ in sheets]),
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", max_age=0)


@bp.get("/print", endpoint="print")
@roles_required(Role.ORG_DEPT, Role.SECRETARY)
def print_view():
    heading = _heading()
    sheets = [(review, rows, ledger.ledger_title(review, heading["org_name"])) for review, rows in _sheets(_own_unit())]
    return render_template("ledger/print.html", sheets=sheets, columns=ledger.COLUMNS, widths=ledger.WIDTHS,
                           **heading)

