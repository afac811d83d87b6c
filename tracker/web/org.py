"""县委组织部: the dashboard, the task list and page with its actions, the 责任单位 page; 纪委's list."""
import io
from types import SimpleNamespace

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

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
from tracker.services import access, batch, dashboard, deadlines, ledger, tasks, units, workflow
from tracker.services.access import visible_tasks
from tracker.services.errors import DomainError
from tracker.services.next_step import verification_panel
from tracker.services.timeline import comment_problems, task_timeline
from tracker.settings import settings
from tracker.timeutil import cn_date
from tracker.web.guards import roles_required, task_for_view, unit_for_manage
from tracker.web.main import (
    PER_PAGE,
    commit_or,
    county_today,
    due_soon_days,
    paginate_capped,
    task_light,
)
from tracker.web.org_forms import (
    LEVEL_CHOICES,
    OVERALL_UNIT,
    BatchDeadlineForm,
    BatchUrgeForm,
    DeadlineForm,
    ExtensionDecisionForm,
    OwnerForm,
    ReopenForm,
    ReturnForm,
    VerifyForm,
    errors_of,
    filter_args,
    int_arg,
    task_filters,
    values_of,
)

bp = Blueprint("org", __name__, url_prefix="/org")

ORG = Role.ORG_DEPT


def _tz() -> str:
    return settings().timezone


def reviews() -> list[Review]:
    return list(db.session.scalars(access.visible_reviews(current_user).order_by(Review.held_on.desc(),
                                                                               Review.id.desc())))


def _list_page(template: str, base, *, endpoint: str, discipline_view: bool):
    filters = task_filters(request.args)
    query = dashboard.in_ledger_order(dashboard.filtered_tasks(base, filters, today=county_today(),
                                                                due_soon_days=due_soon_days()))
    page = paginate_capped(query, per_page=PER_PAGE)
    return render_template(
        template, page=page, filters=filters, args=filter_args(request.args), endpoint=endpoint,
        reviews=reviews(), units=dashboard.active_units(db.session, access.unit_scope(current_user)), statuses=list(TaskStatus),
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


def _batch(form, change, success):
    """A batch action on the ticked tasks: all of them change, or none and the list says why."""
    back = url_for("org.tasks", **filter_args(request.form))  # the list as it was filtered

    def failed(message: str):
        flash(message, "error")
        return redirect(back)

    if not form.validate_on_submit():
        return failed(next(iter(errors_of(form).values())))
    try:
        chosen = batch.selected_tasks(db.session, visible_tasks(current_user), form.task_id.data)
    except DomainError as error:
        return failed(str(error))
    return commit_or(lambda: change(chosen), failed=failed, success=success(len(chosen)), then=back)


@bp.post("/tasks/batch/deadline")
@roles_required(ORG)
def batch_deadline():
    form = BatchDeadlineForm()
    return _batch(form, lambda chosen: batch.set_deadlines(
        db.session, chosen, form.deadline.data, actor=current_user, now=utcnow(),
        reason=form.reason.data or "批量设置整改时限"), lambda n: f"已为{n}项任务设置整改时限{cn_date(form.deadline.data)}")


@bp.post("/tasks/batch/urge")
@roles_required(ORG)
def batch_urge():
    return _batch(BatchUrgeForm(), lambda chosen: batch.urge_now(db.session, chosen, actor=current_user, now=utcnow()),
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


def _run(task_obj: Task, form_name: str, form, action, success: str):
    """Validates the action's form, runs its one service call and commits, or shows the task page again (400)
    with the messages beside the fields and what was typed."""
    task_id = task_obj.id
    values = values_of(form, form_name)
    if not form.validate_on_submit():
        return _task_page(task_obj, {form_name: errors_of(form)}, values, 400)
    return commit_or(
        lambda: action(task_obj), success=success, then=url_for("org.task", task_id=task_id),
        # reloaded: the rollback expired the task
        failed=lambda message: _task_page(task_for_view(task_id), {form_name: {"_": message}}, values, 400))


def _rules() -> dict:
    return settings().rules


def _cycle_facts(task_obj: Task) -> dict:
    """What the 退回 / 二次整改 / 回头看 forms check a new 整改时限 against."""
    return {"deadline_passed": workflow.deadline_passed(task_obj, now=utcnow(), tz=_tz()), "today": county_today()}


@bp.post("/tasks/<int:task_id>/deadline")
@roles_required(ORG)
def set_deadline(task_id: int):
    task_obj, form = task_for_view(task_id), DeadlineForm()
    return _run(task_obj, "deadline", form, lambda t: deadlines.set_deadline(
        db.session, t, form.deadline.data, actor=current_user, now=utcnow(), rules=_rules(),
        reason=form.reason.data, tz=_tz(), new_cycle=t.deadline is not None and form.deadline.data > t.deadline,
    ), "整改时限已更新")


@bp.post("/tasks/<int:task_id>/extensions/<int:request_id>")
@roles_required(ORG)
def decide_extension(task_id: int, request_id: int):
    extension = db.session.get(ExtensionRequest, request_id)
    if extension is None or extension.task_id != task_id:
        abort(404)
    form = ExtensionDecisionForm()
    return _run(task_for_view(task_id), f"ext{request_id}", form, lambda t: tasks.decide_extension(
        db.session, db.session.get(ExtensionRequest, request_id), actor=current_user, now=utcnow(),
        approve=form.approve, reason=form.reason.data, rules=_rules(), tz=_tz(),
    ), "已批准延期申请" if form.approve else "已驳回延期申请")


@bp.post("/tasks/<int:task_id>/verify")
@roles_required(ORG)
def verify(task_id: int):
    task_obj = task_for_view(task_id)
    form = VerifyForm(**_cycle_facts(task_obj))
    return _run(task_obj, "verify", form, lambda t: workflow.verify(
        db.session, t, actor=current_user, now=utcnow(), assessment=Assessment(form.assessment.data),
        reason=form.reason.data, new_deadline=form.new_deadline.data if form.sends_back else None,
        rules=_rules(), tz=_tz(),
    ), f"验收评价为“{form.assessment.data}”，任务已退回二次整改" if form.sends_back else "已审核销号")


@bp.post("/tasks/<int:task_id>/return")
@roles_required(ORG)
def return_task(task_id: int):
    task_obj = task_for_view(task_id)
    form = ReturnForm(**_cycle_facts(task_obj))
    return _run(task_obj, "return", form, lambda t: workflow.return_task(
        db.session, t, actor=current_user, now=utcnow(), reason=form.reason.data,
        new_deadline=form.new_deadline.data, rules=_rules(), tz=_tz()), "已退回，任务回到整改中")


@bp.post("/tasks/<int:task_id>/reopen")
@roles_required(ORG)
def reopen(task_id: int):
    task_obj = task_for_view(task_id)
    form = ReopenForm(**_cycle_facts(task_obj))
    return _run(task_obj, "reopen", form, lambda t: workflow.reopen(
        db.session, t, actor=current_user, now=utcnow(), reason=form.reason.data,
        new_deadline=form.new_deadline.data, rules=_rules(), tz=_tz()), "回头看：任务已重新打开，进入二次整改")


@bp.post("/tasks/<int:task_id>/owner")
@roles_required(ORG)
def set_owner(task_id: int):
    task_obj, form = task_for_view(task_id), OwnerForm()
    owner = db.session.get(User, form.owner_id.data) if form.owner_id.data is not None else None
    if form.owner_id.data is not None and (owner is None or not owner.active):
        form.owner_id.data = None  # a user gone or deactivated since the page was shown: choose again
    return _run(task_obj, "owner", form, lambda t: tasks.set_owner(
        db.session, t, owner, actor=current_user, now=utcnow(), reason=form.reason.data,
    ), "责任人已更换")


# --- 责任单位 --------------------------------------------------------------------------------------

def _units_page(errors: dict | None = None, values: dict | None = None, status: int = 200):
    # The forms post to ?q=&page= of the page they are on, so a refusal comes back to the same rows.
    listing = units.unit_listing(db.session, q=request.args.get("q", ""), page=int_arg(request.args.get("page"), 1),
                                 scope=access.unit_scope(current_user))
    return render_template("org/units.html", listing=listing, errors=errors or {}, values=values or {}), status


@bp.get("/units", endpoint="units")
@roles_required(ORG, Role.ADMIN)
def units_view():
    return _units_page()


def _submitted(prefix: str) -> dict:
    """The form's values, keyed as the page's fields are, to show them again beside a message."""
    return {f"{prefix}-{k}": v for k, v in request.form.items() if k != "csrf_token"}


def _unit_action(unit_id: int, form_name: str, action, success: str):
    unit = unit_for_manage(unit_id)  # another county's unit answers 404
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
    if target is not None and not access.can_view_unit(current_user, target):
        target = None  # another county's unit is as unknown as a missing one
    return _unit_action(unit_id, "merge", lambda u: units.merge_unit(
        db.session, u, target, actor=current_user, now=utcnow()), "单位已合并")
