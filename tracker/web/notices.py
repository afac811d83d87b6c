"""Notices: the outbox (org dept), my notices (everyone), holidays (org dept), 签收 links."""
from datetime import date

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import Role
from tracker.models.notify import HolidayDay, Notice, OutboxMessage, OutboxStatus
from tracker.models.types import utcnow
from tracker.escalation import acknowledgement, holidays
from tracker.escalation.calendar import COMPLETENESS_RULE, WorkCalendar, rest_day_note
from tracker.mail.delivery import retry
from tracker.escalation.summary import dashboard_summary
from tracker.services import access
from tracker.services.access import can_view_task
from tracker.services.errors import DomainError
from tracker.timeutil import local_date
from tracker.web.guards import roles_required
from tracker.web.hardening import parse_int
from tracker.settings import settings

bp = Blueprint("notices", __name__, url_prefix="/notify")

PER_PAGE = 50
OUTBOX_TABS = {"pending": ("待发送", (OutboxStatus.PENDING, OutboxStatus.SENDING)),
               "sent": ("已发送", (OutboxStatus.SENT,)),
               "failed": ("发送失败", (OutboxStatus.FAILED,)),
               "other": ("已合并/随建议", (OutboxStatus.MERGED, OutboxStatus.DELEGATED))}


def _page_arg() -> int:
    return parse_int(request.args.get("page"), 1, minimum=1)


def _today() -> date:
    return local_date(utcnow(), settings().timezone)


@bp.app_template_filter("workday_note")
def workday_note(value) -> str:
    """A deadline on a rest day is shown as such: 2026年10月3日（休息日）."""
    if not isinstance(value, date):
        return ""
    if "notify_calendar" not in g:  # one read of the holiday table per request, not per row
        g.notify_calendar = WorkCalendar.load(db.session)
    return rest_day_note(value, g.notify_calendar)


@bp.app_context_processor
def notify_helpers():
    # The panel is part of the 组织部's pages (login required); a template rendered outside a request of an
    # account (as a test does) reads the install's figures.
    return {"notify_dashboard_summary": lambda: dashboard_summary(
        db.session, now=utcnow(), viewer=current_user if current_user.is_authenticated else None)}


@bp.get("/outbox")
@roles_required(Role.ORG_DEPT)
def outbox():
    tab = request.args.get("status", "pending")
    if tab not in OUTBOX_TABS:
        tab = "pending"
    statuses = OUTBOX_TABS[tab][1]
    page = _page_arg()
    # ix_outbox_message_status_sent / _status_id serve these sorts, and (status, id) the counts below.
    within = access.outbox_condition(current_user)
    scoped = [] if within is None else [within]
    query = select(OutboxMessage).where(OutboxMessage.status.in_(statuses), *scoped)
    order = OutboxMessage.sent_at.desc() if tab == "sent" else OutboxMessage.id.desc()
    rows = db.session.scalars(query.order_by(order, OutboxMessage.id.desc())
                              .offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1)).all()
    counts = dict(db.session.execute(select(OutboxMessage.status, func.count()).where(*scoped)
                                     .group_by(OutboxMessage.status)).all())
    tab_counts = {name: sum(counts.get(s, 0) for s in spec[1]) for name, spec in OUTBOX_TABS.items()}
    return render_template("notices/outbox.html", rows=rows[:PER_PAGE], has_next=len(rows) > PER_PAGE, page=page,
                           tab=tab, tabs=OUTBOX_TABS, tab_counts=tab_counts, per_page=PER_PAGE)


def _outbox_row(message_id: int) -> OutboxMessage:
    row = db.session.get(OutboxMessage, message_id)
    if row is None or not access.can_view_outbox_row(current_user, row):
        abort(404)  # another county's mail is as unknown as a missing one
    return row


@bp.get("/outbox/<int:message_id>")
@roles_required(Role.ORG_DEPT)
def outbox_detail(message_id: int):
    """One mail: subject, recipients, text body, its task, and the digest it went in (or what it carries)."""
    from tracker.mail import daymail

    row = _outbox_row(message_id)
    return render_template("notices/outbox_detail.html", row=row, digests=daymail.digests_of(db.session, row.id),
                           members=daymail.members_of(db.session, row.id) if row.kind == daymail.DIGEST_KIND else [])


@bp.post("/outbox/<int:message_id>/retry")
@roles_required(Role.ORG_DEPT)
def outbox_retry(message_id: int):
    row = _outbox_row(message_id)
    try:
        retry(db.session, row, actor=current_user, now=utcnow())
        db.session.commit()
        flash("已重新加入发送队列", "success")
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for("notices.outbox", status="failed"))


@bp.get("/notices", endpoint="my_notices")
@login_required
def my_notices():
    page = _page_arg()
    rows = db.session.scalars(select(Notice).where(Notice.user_id == current_user.id)
                              .order_by(Notice.created_at.desc(), Notice.id.desc())
                              .offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1)).all()
    tokens = {n.id: acknowledgement.make_token(n.key) for n in rows}
    return render_template("notices/notices.html", rows=rows[:PER_PAGE], has_next=len(rows) > PER_PAGE, page=page,
                           tokens=tokens)


@bp.route("/ack/<token>", methods=["GET", "POST"])
def acknowledge(token: str):
    """签收 through the link in the mail. The link shows the notice; only its owner, logged in, signs it
    (copied people get the same mail). Others see a login link back to this page."""
    key = acknowledgement.read_token(token)
    found = acknowledgement.find_notice(db.session, key) if key else None
    if found is None:
        return render_template("notices/ack.html", invalid=True), 404
    task, row, notices = found
    user = current_user if current_user.is_authenticated else None
    if user is not None and task is not None and not can_view_task(user, task) and \
            not acknowledgement.may_sign(user, task, notices):
        abort(404)  # another unit's task: as everywhere else
    here = url_for("notices.acknowledge", token=token)
    signer = acknowledgement.may_sign(user, task, notices)
    if request.method == "POST":
        if user is None:
            return redirect(url_for("auth.login", next=here))
        if not signer:
            abort(404)
        changed = acknowledgement.acknowledge(db.session, key, now=utcnow(), actor=user)
        db.session.commit()
        flash("已签收，谢谢。" if changed else "该通知此前已签收。", "success")
        return redirect(here)
    title = row.subject if row is not None else notices[0].title
    mine = [n for n in notices if user is not None and n.user_id == user.id]
    acknowledged = any(n.acknowledged_at for n in mine) or (
        signer and task is not None and task.last_notice_key == key and acknowledgement.is_acknowledged(task))
    owner_ids = acknowledgement.signer_ids(task, notices)
    owner_name = task.owner.name if task is not None and task.owner is not None and task.owner_id in owner_ids else ""
    return render_template("notices/ack.html", invalid=False, title=title, task=task,
                           acknowledged=acknowledged, signer=signer, user=user, owner_name=owner_name,
                           needs_signer=bool(owner_ids), login_url=url_for("auth.login", next=here),
                           created_at=row.created_at if row is not None else notices[0].created_at, token=token)


@bp.get("/go/task/<int:task_id>")
@login_required
def go_task(task_id: int):
    """Mail links point here: each role lands on its own page for the task (404 for others)."""
    from tracker.models import Task

    task = db.session.get(Task, task_id)
    if task is None or not can_view_task(current_user, task):
        abort(404)
    endpoint = "secretary.task" if current_user.role == Role.SECRETARY else "org.task"
    if endpoint not in current_app.view_functions:
        abort(404)
    return redirect(url_for(endpoint, task_id=task_id))


@bp.get("/holidays", endpoint="holidays")
@roles_required(Role.ORG_DEPT)
def holidays_page():
    return _holidays_page()


def _holidays_page(text: str = "", error: str = "", status: int = 200):
    year_arg = request.args.get("year", "")
    year = int(year_arg) if year_arg.isdigit() and 2000 <= int(year_arg) <= 2100 else _today().year
    calendar = WorkCalendar.load(db.session)
    rows = holidays.holidays_of_year(db.session, year)
    this_year = _today().year
    return render_template("notices/holidays.html", year=year, rows=rows, text=text, error=error,
                           table_years=holidays.years_in_table(db.session),
                           missing=calendar.missing_years([this_year, this_year + 1]),
                           package_knows=calendar.knows(year) and year not in calendar.table_years,
                           partial=year in calendar.partial_years, completeness_rule=COMPLETENESS_RULE), status


@bp.post("/holidays")
@roles_required(Role.ORG_DEPT)
def holidays_save():
    text = request.form.get("text", "")
    upload = request.files.get("file")
    try:
        if upload is not None and upload.filename:
            if not upload.filename.lower().endswith((".txt", ".csv")):
                raise DomainError("只能上传 .txt 或 .csv 文件")
            text = holidays.decode_upload(upload.read(holidays.MAX_BYTES + 1))
        entries = holidays.parse_holiday_text(text)
        changed = holidays.save_holidays(db.session, entries, actor=current_user, now=utcnow())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _holidays_page(text=text, error=str(exc), status=400)
    years = sorted({e.day.year for e in entries})
    flash(f"已保存{len(entries)}个日期（其中{changed}个有变化）", "success")
    return redirect(url_for("notices.holidays", year=years[0]))


@bp.post("/holidays/<int:holiday_id>/delete")
@roles_required(Role.ORG_DEPT)
def holidays_delete(holiday_id: int):
    row = db.get_or_404(HolidayDay, holiday_id)
    year = row.year
    holidays.delete_holiday(db.session, row, actor=current_user, now=utcnow())
    db.session.commit()
    flash("已删除", "success")
    return redirect(url_for("notices.holidays", year=year))

