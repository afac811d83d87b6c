"""县委组织部: the dashboard, the task list and page with its actions, the 责任单位 page; 纪委's list."""
from datetime import date

import io
from types import SimpleNamespace

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import (
    Assessment,
    EscalationLevel,
    ExtensionRequest,
    ExtensionStatus,
    Review,
    Role,
    Task,
    TaskStatus,
    TaskType,
    Unit,
    User,
)
from tracker.models.types import utcnow
from tracker.services import batch, dashboard, ledger, tasks, units, workflow
from tracker.services.errors import DomainError
from tracker.services.access import visible_tasks
from tracker.services.next_step import verification_panel
from tracker.services.timeline import comment_problems, task_timeline
from tracker.web.guards import roles_required, task_for_view
from tracker.web.main import PER_PAGE, commit_or, county_today, due_soon_days, task_light
from tracker.settings import settings
from tracker.timeutil import cn_date
from tracker.web.org_forms import (
    LEVEL_CHOICES,
    OVERALL_UNIT,
    date_field,
    filter_args,
    int_arg,
    task_filters,
    text_field,
)

bp = Blueprint("org", __name__, url_prefix="/org")

ORG = Role.ORG_DEPT


def _tz() -> str:
    return settings().timezone


def reviews() -> list[Review]:
    return list(db.session.scalars(select(Review).order_by(Review.held_on.desc(), Review.id.desc())))


def _list_page(template: str, base, *, endpoint: str, discipline_view: bool):
    filters = task_filters(request.args)
    query = dashboard.in_ledger_order(dashboard.filtered_tasks(base, filters, today=county_today(),
                                                                due_soon_days=due_soon_days()))
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    return render_template(
        template, page=page, filters=filters, args=filter_args(request.args), endpoint=endpoint,
        reviews=reviews(), units=dashboard.active_units(db.session), statuses=list(TaskStatus),
        types=list(TaskType), level_choices=LEVEL_CHOICES, overall_unit=OVERALL_UNIT,
        discipline_view=discipline_view, today=county_today(),
    )


@bp.get("/tasks", endpoint="tasks")
@roles_required(ORG)
def tasks_view():
    return _list_page("org/tasks.html", visible_tasks(current_user), endpoint="org.tasks", discipline_view=False)


def _filtered_query():
    filters = task_filters(request.args)
    return dashboard.in_ledger_order(dashboard.filtered_tasks(visible_tasks(current_user), filters,
                                                              today=county_today(), due_soon_days=due_soon_days()))


@bp.get("/tasks/export")
@roles_required(ORG)
def export_tasks():
    """The filtered list as the 整改台账's .xlsx (all pages, not only the one on screen)."""
    today = county_today()
    rows = ledger.rows_for_tasks(db.session, batch.tasks_for_export(db.session, _filtered_query()), tz=_tz())
    sheet = SimpleNamespace(title=f"{today.year}年度整改任务筛选结果", held_on=today)
    org = settings().org_dept_name
    data = ledger.build_workbook([(sheet, rows)], org_name=org, filled_by=org, filled_on=cn_date(today))
    return send_file(io.BytesIO(data), as_attachment=True, download_name=f"整改任务-{today.isoformat()}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", max_age=0)


def _batch(change, success: str):
    back = url_for("org.tasks", **filter_args(request.form))
    try:
        chosen = batch.selected_tasks(db.session, visible_tasks(current_user), request.form.getlist("task_id"))
    except DomainError as error:
        flash(str(error), "error")
        return redirect(back)

    def failed(message: str):
        flash(message, "error")
        return redirect(back)

    return commit_or(lambda: change(chosen), failed=failed, success=success(len(chosen)), then=back)


@bp.post("/tasks/batch/deadline")
@roles_required(ORG)
def batch_deadline():
    deadline, error = date_field(request.form, "deadline", label="整改时限")
    reason, reason_error = text_field(request.form, "reason", label="调整理由", required=False)
    if error or reason_error:
        flash(error or reason_error, "error")
        return redirect(url_for("org.tasks", **filter_args(request.form)))
    return _batch(lambda chosen: batch.set_deadlines(db.session, chosen, deadline, actor=current_user, now=utcnow(),
                                                     reason=reason or "批量设置整改时限"),
                  lambda n: f"已为{n}项任务设置整改时限{cn_date(deadline)}")


@bp.post("/tasks/batch/urge")
@roles_required(ORG)
def batch_urge():
    return _batch(lambda chosen: batch.urge_now(db.session, chosen, actor=current_user, now=utcnow()),
                  lambda n: f"已向{n}项任务的责任人发出催办（见邮件发件箱）")


@bp.get("/escalated")
@roles_required(ORG, Role.DISCIPLINE)
def escalated():
    base = visible_tasks(current_user).where(Task.escalation_level >= EscalationLevel.SUPERVISION)
    return _list_page("org/tasks.html", base, endpoint="org.escalated", discipline_view=True)


def _task_page(task: Task, errors: dict | None = None, values: dict | None = None, status: int = 200):
    read_only = current_user.role != ORG
    today = county_today()
    return render_template(
        "org/task.html", task=task, light=task_light(task, today), timeline=task_timeline(db.session, task),
        read_only=read_only, owners=[] if read_only else dashboard.owner_choices(db.session, task),
        actions={t.name for t in workflow.allowed_actions(current_user, task)},
        assessments=list(Assessment), errors=errors or {}, values=values or {},
        requested=ExtensionStatus.REQUESTED, today=today,
        deadline_passed=workflow.deadline_passed(task, now=utcnow(), tz=_tz()),
        panel=verification_panel(db.session, task), problems=comment_problems(db.session, task),
    ), status


@bp.get("/tasks/<int:task_id>")
@roles_required(ORG, Role.DISCIPLINE)
def task(task_id: int):
    return _task_page(task_for_view(task_id))


def _submitted(prefix: str) -> dict:
    """The form's values, keyed as the page's fields are, to show them again beside a message."""
    return {f"{prefix}-{k}": v for k, v in request.form.items() if k != "csrf_token"}


def _run(task_id: int, form_name: str, field_errors: dict, action, success: str):
    """Runs one service call for the task and commits, or re-renders the page with the message."""
    task_obj = task_for_view(task_id)
    values = _submitted(form_name)
    if field_errors:
        return _task_page(task_obj, {form_name: field_errors}, values, 400)
    return commit_or(
        lambda: action(task_obj), success=success, then=url_for("org.task", task_id=task_id),
        # reloaded: the rollback expired the task
        failed=lambda message: _task_page(task_for_view(task_id), {form_name: {"_": message}}, values, 400))


def _rules() -> dict:
    return settings().rules


def _field_errors(**messages) -> dict:
    """{field: message} of the fields that have one."""
    return {name: message for name, message in messages.items() if message}


@bp.post("/tasks/<int:task_id>/deadline")
@roles_required(ORG)
def set_deadline(task_id: int):
    deadline, error = date_field(request.form, "deadline", label="整改时限")
    reason, reason_error = text_field(request.form, "reason", label="调整理由", required=False)
    return _run(task_id, "deadline", _field_errors(deadline=error, reason=reason_error), lambda t: tasks.set_deadline(
        db.session, t, deadline, actor=current_user, now=utcnow(), rules=_rules(), reason=reason, tz=_tz(),
        new_cycle=t.deadline is not None and deadline is not None and deadline > t.deadline,
    ), "整改时限已更新")


@bp.post("/tasks/<int:task_id>/extensions/<int:request_id>")
@roles_required(ORG)
def decide_extension(task_id: int, request_id: int):
    extension = db.session.get(ExtensionRequest, request_id)
    if extension is None or extension.task_id != task_id:
        abort(404)
    decision = request.form.get("decision")
    reason, reason_error = text_field(request.form, "reason", label="驳回理由", required=decision == "refuse")
    errors = _field_errors(decision=None if decision in ("approve", "refuse") else "请选择批准或驳回",
                           reason=reason_error)
    return _run(task_id, f"ext{request_id}", errors, lambda t: tasks.decide_extension(
        db.session, db.session.get(ExtensionRequest, request_id), actor=current_user, now=utcnow(),
        approve=decision == "approve", reason=reason, rules=_rules(), tz=_tz(),
    ), "已批准延期申请" if decision == "approve" else "已驳回延期申请")


def _new_deadline(task_id: int, *, needed: bool) -> tuple[date | None, str | None]:
    """The new 整改时限 of a 退回 / 二次整改 / 回头看: required once the old one has passed."""
    required = needed and workflow.deadline_passed(task_for_view(task_id), now=utcnow(), tz=_tz())
    value, error = date_field(request.form, "new_deadline", label="新的整改时限", required=required)
    if error and required:
        error += "（原整改时限已过，须重新设定）"
    elif value is not None and value < county_today():
        error = "新的整改时限不能早于今天"
    return value, error


@bp.post("/tasks/<int:task_id>/verify")
@roles_required(ORG)
def verify(task_id: int):
    assessment = request.form.get("assessment", "")
    sends_back = assessment in (Assessment.FAIR, Assessment.POOR)
    reason, reason_error = text_field(request.form, "reason", label="理由", required=sends_back)
    new_deadline, deadline_error = _new_deadline(task_id, needed=sends_back)
    errors = _field_errors(
        assessment=None if assessment in set(Assessment) else "请选择验收评价：好、较好、一般或差",
        reason=reason_error and reason_error + "（验收评价为一般或差时任务进入二次整改）",
        new_deadline=deadline_error)
    return _run(task_id, "verify", errors, lambda t: workflow.verify(
        db.session, t, actor=current_user, now=utcnow(), assessment=assessment, reason=reason,
        new_deadline=new_deadline if sends_back else None, rules=_rules(), tz=_tz(),
    ), "验收评价为“{}”，任务已退回二次整改".format(assessment) if sends_back else "已审核销号")


@bp.post("/tasks/<int:task_id>/return")
@roles_required(ORG)
def return_task(task_id: int):
    reason, reason_error = text_field(request.form, "reason", label="退回理由")
    new_deadline, deadline_error = _new_deadline(task_id, needed=True)
    return _run(task_id, "return", _field_errors(reason=reason_error, new_deadline=deadline_error),
                lambda t: workflow.return_task(db.session, t, actor=current_user, now=utcnow(), reason=reason,
                                               new_deadline=new_deadline, rules=_rules(), tz=_tz()),
                "已退回，任务回到整改中")


@bp.post("/tasks/<int:task_id>/reopen")
@roles_required(ORG)
def reopen(task_id: int):
    reason, reason_error = text_field(request.form, "reason", label="重新打开的理由")
    new_deadline, deadline_error = _new_deadline(task_id, needed=True)
    return _run(task_id, "reopen", _field_errors(reason=reason_error, new_deadline=deadline_error),
                lambda t: workflow.reopen(db.session, t, actor=current_user, now=utcnow(), reason=reason,
                                          new_deadline=new_deadline, rules=_rules(), tz=_tz()),
                "回头看：任务已重新打开，进入二次整改")


@bp.post("/tasks/<int:task_id>/owner")
@roles_required(ORG)
def set_owner(task_id: int):
    owner = db.session.get(User, int_arg(request.form.get("owner_id"), 0) or 0)
    reason, reason_error = text_field(request.form, "reason", label="更换理由", required=False)
    errors = _field_errors(owner_id="请选择新的责任人" if owner is None or not owner.active else None,
                           reason=reason_error)
    return _run(task_id, "owner", errors, lambda t: tasks.set_owner(
        db.session, t, owner, actor=current_user, now=utcnow(), reason=reason,
    ), "责任人已更换")


# --- 责任单位 --------------------------------------------------------------------------------------

def _units_page(errors: dict | None = None, values: dict | None = None, status: int = 200):
    # The forms post to ?q=&page= of the page they are on, so a refusal comes back to the same rows.
    listing = units.unit_listing(db.session, q=request.args.get("q", ""), page=int_arg(request.args.get("page"), 1))
    return render_template("org/units.html", listing=listing, errors=errors or {}, values=values or {}), status


@bp.get("/units", endpoint="units")
@roles_required(ORG, Role.ADMIN)
def units_view():
    return _units_page()


def _unit_action(unit_id: int, form_name: str, action, success: str):
    unit = db.get_or_404(Unit, unit_id)
    key = f"{form_name}{unit_id}"
    values = _submitted(key)
    return commit_or(lambda: action(unit), success=success, then=url_for("org.units"),
                     failed=lambda message: _units_page({key: message}, values, 400))


@bp.post("/units/<int:unit_id>/rename")
@roles_required(ORG, Role.ADMIN)
def rename_unit(unit_id: int):
    name = request.form.get("name", "")
    return _unit_action(unit_id, "rename", lambda u: units.rename_unit(
        db.session, u, name, actor=current_user, now=utcnow()), "单位名称已更新")


@bp.post("/units/<int:unit_id>/merge")
@roles_required(ORG, Role.ADMIN)
def merge_unit(unit_id: int):
    target = db.session.get(Unit, int_arg(request.form.get("target_id"), 0) or 0)
    return _unit_action(unit_id, "merge", lambda u: units.merge_unit(
        db.session, u, target, actor=current_user, now=utcnow()), "单位已合并")
