"""书记的整改任务: the unit's task list, the task page with its 点评 and timeline, and the forms to work on it.

The task page and evidence downloads serve every role allowed to view the task (guards.task_for_view);
the POST routes serve those allowed to work on it (guards.task_for_work). Anything else answers 404.
"""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import case, func
from sqlalchemy.orm import selectinload

from tracker.extensions import db
from tracker.models import Evidence, Role, Task, TaskStatus, TaskType
from tracker.models.types import utcnow
from tracker.notify.proposals import proposals_for_task
from tracker.services import evidence as evidence_files
from tracker.services import tasks as task_service
from tracker.services import workflow
from tracker.services.access import can_work_on_task, visible_tasks
from tracker.services.errors import DomainError
from tracker.services.lights import light_for
from tracker.timeutil import local_date
from tracker.web.forms import ClosureForm, ExtensionForm, PlanForm, ProgressForm
from tracker.web.guards import roles_required, task_for_view, task_for_work
from tracker.web.task_timeline import build_timeline, comment_problems, pending_extension

bp = Blueprint("secretary", __name__)
PER_PAGE = 50


def _today():
    return local_date(utcnow(), current_app.config["TIMEZONE"])


def _due_soon_days() -> int:
    return int(current_app.config["ESCALATION_RULES"].get("due_soon_days", 7))


@bp.app_template_filter("filesize")
def filesize(size: int) -> str:
    return evidence_files.format_size(size or 0)


@bp.get("/my/tasks")
@roles_required(Role.SECRETARY)
def tasks():
    base = visible_tasks(current_user)
    # Most urgent first: open before awaiting verification before closed; escalated, then nearest deadline.
    query = base.options(selectinload(Task.review)).order_by(
        case((Task.status == TaskStatus.CLOSED, 2), (Task.status == TaskStatus.AWAITING_VERIFICATION, 1), else_=0),
        Task.escalation_level.desc(),
        Task.deadline.is_(None),
        Task.deadline,
        Task.id,
    )
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    counts = dict(db.session.execute(
        base.with_only_columns(Task.status, func.count()).group_by(Task.status)
    ).all())
    today = _today()
    rows = [(task, light_for(task, today, _due_soon_days())) for task in page.items]
    return render_template("secretary/tasks.html", page=page, rows=rows, counts=counts, statuses=list(TaskStatus))


def _render_task(task: Task, status: int = 200, **forms):
    """The task page; `forms` replaces the blank form of the same name (bound, with its errors)."""
    can_work = can_work_on_task(current_user, task)
    task_forms = {}
    if can_work and not task.is_closed:
        task_forms = {
            "plan": forms.get("plan") or PlanForm(formdata=None, measures=task.measures,
                                                  responsible_person=task.responsible_person),
            "progress": forms.get("progress") or ProgressForm(formdata=None),
            "closure": forms.get("closure") or ClosureForm(formdata=None),
        }
        if task.task_type != TaskType.ONGOING:
            task_forms["extension"] = forms.get("extension") or ExtensionForm(formdata=None)
    actions = {t.name for t in workflow.allowed_actions(current_user, task)}
    return render_template(
        "secretary/task.html",
        task=task,
        light=light_for(task, _today(), _due_soon_days()),
        problems=comment_problems(db.session, task),
        timeline=build_timeline(db.session, task),
        pending_extension=pending_extension(db.session, task),
        proposals=proposals_for_task(db.session, task.id),
        forms=task_forms,
        can_request_closure="request_closure" in actions,
        error=forms.get("error"),
        error_form=forms.get("error_form"),
        max_evidence=evidence_files.format_size(int(current_app.config["MAX_EVIDENCE_BYTES"])),
    ), status


@bp.get("/tasks/<int:task_id>")
@login_required
def task(task_id: int):
    return _render_task(task_for_view(task_id))


def _domain_failure(task: Task, form_name: str, form, exc: DomainError, written=()):
    db.session.rollback()
    evidence_files.discard(list(written))
    task = task_for_view(task.id)  # reloaded after the rollback expired it
    return _render_task(task, 400, **{form_name: form, "error": str(exc), "error_form": form_name})


@bp.post("/tasks/<int:task_id>/plan")
@login_required
def submit_plan(task_id: int):
    task = task_for_work(task_id)
    form = PlanForm()
    if not form.validate_on_submit():
        return _render_task(task, 400, plan=form)
    try:
        task_service.submit_plan(db.session, task, actor=current_user, now=utcnow(), measures=form.measures.data,
                                 responsible_person=form.responsible_person.data)
        db.session.commit()
    except DomainError as exc:
        return _domain_failure(task, "plan", form, exc)
    flash("整改措施已提交", "success")
    return redirect(url_for("secretary.task", task_id=task.id))


def _checked_files(form, field):
    checked, errors = evidence_files.check_uploads(
        field.data, max_bytes=int(current_app.config["MAX_EVIDENCE_BYTES"]))
    if errors:
        field.errors = list(field.errors) + errors
    return checked, errors


def _save_with_evidence(task: Task, form_name: str, form, field, create_update, success: str):
    """Checks the files, runs the service, stores the files, commits once; nothing is kept on any failure."""
    if not form.validate_on_submit():
        return _render_task(task, 400, **{form_name: form})
    checked, errors = _checked_files(form, field)
    if errors:
        return _render_task(task, 400, **{form_name: form})
    now, written = utcnow(), []
    try:
        update = create_update(now)
        _rows, written = evidence_files.attach(
            db.session, checked, task=task, update=update, actor=current_user, now=now,
            directory=evidence_files.upload_dir(current_app.config))
        db.session.commit()
    except DomainError as exc:
        return _domain_failure(task, form_name, form, exc, written)
    except Exception:
        db.session.rollback()
        evidence_files.discard(written)
        raise
    flash(success, "success")
    return redirect(url_for("secretary.task", task_id=task.id))


@bp.post("/tasks/<int:task_id>/updates")
@login_required
def post_update(task_id: int):
    task = task_for_work(task_id)
    form = ProgressForm()
    return _save_with_evidence(
        task, "progress", form, form.files,
        lambda now: task_service.post_progress(db.session, task, actor=current_user, now=now, body=form.body.data),
        "整改进展已提交")


@bp.post("/tasks/<int:task_id>/closure")
@login_required
def request_closure(task_id: int):
    task = task_for_work(task_id)
    form = ClosureForm()
    return _save_with_evidence(
        task, "closure", form, form.closure_files,
        lambda now: workflow.request_closure(db.session, task, actor=current_user, now=now,
                                             summary=form.summary.data),
        "销号申请已提交，等待县委组织部审核")


@bp.post("/tasks/<int:task_id>/extension")
@login_required
def request_extension(task_id: int):
    task = task_for_work(task_id)
    form = ExtensionForm()
    if not form.validate_on_submit():
        return _render_task(task, 400, extension=form)
    try:
        task_service.request_extension(db.session, task, actor=current_user, now=utcnow(),
                                       new_deadline=form.new_deadline.data, reason=form.reason.data,
                                       tz=current_app.config["TIMEZONE"])
        db.session.commit()
    except DomainError as exc:
        return _domain_failure(task, "extension", form, exc)
    flash("延期申请已提交，等待县委组织部审批", "success")
    return redirect(url_for("secretary.task", task_id=task.id))


@bp.get("/evidence/<int:evidence_id>")
@login_required
def evidence(evidence_id: int):
    record = db.session.get(Evidence, evidence_id)
    if record is None:
        abort(404)
    task_for_view(record.task_id)
    path = evidence_files.stored_path(record, evidence_files.upload_dir(current_app.config))
    if path is None:
        abort(404)
    response = send_file(path, mimetype=record.content_type, as_attachment=True,
                         download_name=record.original_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response

