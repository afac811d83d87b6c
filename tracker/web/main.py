"""The home page sends each role to its own start page; app-wide helpers of the pages (nav links, 413).

Also what every task page and list shows the same way, whichever blueprint renders it: today in the county,
a task's light, its 责任单位, its 督办等级, a file's size.
"""
import os
from datetime import date

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_sqlalchemy.pagination import SelectPagination
from markupsafe import Markup, escape
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import lazyload

from tracker.extensions import db
from tracker.models import EscalationLevel, Role, Task
from tracker.models.types import utcnow
from tracker.services.dashboard import OVERALL_UNIT_LABEL
from tracker.services.errors import DomainError
from tracker.services.evidence import format_size
from tracker.services.lights import Light, light_for
from tracker.settings import settings
from tracker.timeutil import local_date, use_demo_clock

bp = Blueprint("main", __name__)

PER_PAGE = 50  # rows on one page of a long list

START_PAGES = {
    Role.SECRETARY: "secretary.tasks",
    Role.ORG_DEPT: "org.dashboard",
    Role.DISCIPLINE: "org.escalated",
    Role.ADMIN: "admin.users",
}


DEMO_CLOCK_FILE = "demo_clock.json"


def demo_clock_path(app) -> str:
    return os.path.join(app.instance_path, DEMO_CLOCK_FILE)


def demo_clock_allowed(app) -> bool:
    """Never in production; never under test unless a test sets it up itself (tests pass `now`)."""
    return app.config.get("CONFIG_NAME") != "production" and not app.testing


@bp.record_once
def _demo_clock(state):
    # Every process of the demo (web, scheduler, `tracker …` in another shell) builds the app: each reads
    # the same instance/demo_clock.json through utcnow().
    if demo_clock_allowed(state.app):
        use_demo_clock(demo_clock_path(state.app))


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    endpoint = START_PAGES.get(current_user.role)
    if endpoint:
        return redirect(url_for(endpoint))
    return render_template("auth/home.html")  # a role without a start page of its own


@bp.app_template_global()
def nav_link(endpoint: str, label: str, **values) -> Markup:
    """A navigation link, marked as the current page when it is."""
    url = url_for(endpoint, **values)
    current = ' aria-current="page"' if request.endpoint == endpoint else ""
    return Markup(f'<a href="{escape(url)}"{current}>{escape(label)}</a>')


@bp.app_errorhandler(413)
def request_too_large(_error):
    limit = settings().max_request_bytes
    per_file = settings().max_evidence_bytes
    return render_template("auth/too_large.html", limit=format_size(limit), per_file=format_size(per_file)), 413


# What a person reads instead of Werkzeug's English pages. 404 is also what isolation answers (a record of
# another unit), so it never says which of the two it is.
ERROR_PAGES = {
    400: ("请求有误", "提交的内容无法处理，未保存任何内容。请返回上一页检查后重新提交。"),
    403: ("无权操作", "您没有进行此项操作的权限。如需办理，请联系县委组织部。"),
    404: ("未找到该页面", "未找到该页面，或您无权查看。"),
    405: ("请求方式不正确", "该页面不支持这种操作方式，请从页面上的按钮进入。"),
    500: ("系统出错", "系统处理时出错，本次操作未保存。请稍后重试；若仍出错，请联系系统管理员。"),
}


def error_page(code: int, message: str | None = None):
    title, text = ERROR_PAGES[code]
    try:
        return render_template("errors/error.html", code=code, title=title, text=message or text), code
    except Exception:
        current_app.logger.exception("error page %s could not be rendered", code)
        return Markup(f'<!doctype html><html lang="zh-CN"><meta charset="utf-8">'
                      f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                      f"<title>{escape(title)}</title><h1>{escape(title)}</h1><p>{escape(message or text)}</p>"
                      f'<p><a href="/">返回首页</a></p></html>'), code


@bp.app_errorhandler(400)
def bad_request(error):
    from flask_wtf.csrf import CSRFError

    if isinstance(error, CSRFError):
        return error_page(400, "页面已过期或表单校验失败，未保存任何内容。请刷新页面后重新提交。")
    return error_page(400)


@bp.app_errorhandler(403)
def forbidden(_error):
    return error_page(403)


@bp.app_errorhandler(404)
def not_found(_error):
    return error_page(404)


@bp.app_errorhandler(405)
def method_not_allowed(_error):
    return error_page(405)


@bp.app_errorhandler(500)
def server_error(_error):
    db.session.rollback()
    return error_page(500)


def county_today() -> date:
    """Today's date where the county is (deadlines are plain dates there)."""
    return local_date(utcnow(), settings().timezone)


def due_soon_days() -> int:
    """How many days before its deadline a task turns 黄灯."""
    return settings().due_soon_days


@bp.app_template_global()
def task_light(task: Task, today: date | None = None) -> Light:
    """The 红灯/黄灯/绿灯 of a task, the same on every page."""
    return light_for(task, today or county_today(), due_soon_days())


@bp.app_template_global()
def task_unit_name(task: Task) -> str:
    return task.unit.name if task.unit is not None and not task.is_overall else OVERALL_UNIT_LABEL


@bp.app_template_filter("level_label")
def level_label(level: int | None) -> str:
    return EscalationLevel.LABELS.get(level or 0, "")


@bp.app_template_filter("filesize")
def filesize(size: int | None) -> str:
    return format_size(size or 0)


COUNT_CAP = 5000  # a long list counts this many rows for its page links, then says "5000+ 项"


class CappedTotal(int):
    """A count that stopped at the cap: it prints as "5000+" wherever a page shows it (the pager macro's
    "共 {{ page.total }} 项" and "/ {{ page.pages }} 页"), and compares and divides as the number it is."""

    def __str__(self) -> str:
        return f"{int(self)}+"

    def __html__(self) -> str:
        return str(self)


class _CappedCount:
    """Counts at most `cap` rows past the ones before this page (PostgreSQL stops reading there), so the
    page costs the same at 10^4 and 10^6 matching rows."""

    def _query_count(self):
        cap = self._query_args.get("cap")
        if cap is None:
            return super()._query_count()
        limit = max(cap, self._query_offset + self.per_page)
        select = self._query_args["select"]
        sub = select.options(lazyload("*")).order_by(None).limit(limit + 1).subquery()
        found = self._query_args["session"].execute(sa_select(func.count()).select_from(sub)).scalar()
        self.capped = found > limit
        return CappedTotal(limit) if self.capped else found

    @property
    def pages(self) -> int:
        pages = super().pages
        return CappedTotal(pages) if getattr(self, "capped", False) else pages

    @property
    def has_next(self) -> bool:
        return self.page < self.pages or (getattr(self, "capped", False) and len(self.items) == self.per_page)


class _RowPagination(_CappedCount, SelectPagination):
    """db.paginate for a select() of several columns (a GROUP BY): rows, not first-column scalars."""

    def _query_items(self):
        select = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        rows = self._query_args["session"].execute(select).all()
        return [self._query_args["row"](r) for r in rows]


class _CappedPagination(_CappedCount, SelectPagination):
    pass


def paginate_rows(select, *, row=lambda r: r, per_page: int = PER_PAGE, cap: int | None = None):
    """The one pager of the app (with db.paginate): page= from the query string, `row` maps each result row;
    `cap`: count at most that many rows (see paginate_capped)."""
    return _RowPagination(select=select, session=db.session(), row=row, cap=cap, page=None, per_page=per_page,
                          max_per_page=None, error_out=False, count=True)


def paginate_capped(select, *, per_page: int = PER_PAGE, cap: int = COUNT_CAP):
    """db.paginate(select) for a list that may match 10^5 rows (the open-overdue tasks): the same items,
    its total counted up to COUNT_CAP and then shown as "5000+"."""
    return _CappedPagination(select=select, session=db.session(), cap=cap, page=None, per_page=per_page,
                             max_per_page=None, error_out=False, count=True)


def commit_or(change, *, failed, success: str, then: str):
    """The end of every form POST: run the one service call `change`, commit once, flash `success` and go to
    `then`; a DomainError rolls everything back and answers failed(message) (the page again, with it)."""
    try:
        change()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return failed(str(error))
    flash(success, "success")
    return redirect(then)
