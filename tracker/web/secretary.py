"""书记的整改任务: the unit's task list, the task page with its 点评 and timeline, and the forms to work on it.

The task page and evidence downloads serve every role allowed to view the task (guards.task_for_view);
the POST routes serve those allowed to work on it (guards.task_for_work). Anything else answers 404.
"""
from flask import Blueprint, abort, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from tracker.extensions import db
from tracker.models import Evidence, Role, Task, TaskStatus, TaskType
from tracker.models.types import utcnow
from tracker.proposals import owner as proposal_owner
from tracker.proposals.visibility import owner_level_label
from tracker.services import evidence as evidence_files
from tracker.services import tasks as task_service
from tracker.services import workflow
from tracker.services.access import can_work_on_task
from tracker.services.my_tasks import my_tasks
from tracker.services.next_step import has_evidence, next_step
from tracker.services.timeline import comment_problems, task_timeline
from tracker.settings import settings
from tracker.web.forms import ClosureForm, ExtensionForm, PlanForm, ProgressForm
from tracker.web.guards import roles_required, task_for_view, task_for_work
from tracker.web.hardening import parse_int
from tracker.web.main import (
    PER_PAGE,
    commit_or,
    county_today,
    due_soon_days,
    task_light,
)
from tracker.web.proposal_forms import ExplanationForm

bp = Blueprint("secretary", __name__)


@bp.get("/my/tasks")
@roles_required(Role.SECRETARY)
def tasks():
    page = max(1, parse_int(request.args.get("page"), 1))
    result = my_tasks(db.session, current_user, page=page, per_page=PER_PAGE, today=county_today(),
                      due_soon_days=due_soon_days())
    return render_template("secretary/tasks.html", page=result.page, counts=result.counts,
                           unit_name=result.unit_name, statuses=list(TaskStatus), task_href=_task_href())


_ID_MARK = 2147483647


def _task_href() -> tuple[str, str]:
    """The task page's URL before and after its id: one url_for per page instead of one per row."""
    before, _mark, after = url_for("secretary.task", task_id=_ID_MARK).rpartition(str(_ID_MARK))
    return before, after


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
    timeline = task_timeline(db.session, task, for_owner=current_user.role == Role.SECRETARY)
    step = next_step(db.session, task, today=county_today(), can_work=bool(task_forms),
                     pending_extension=timeline.pending_extension)
    return render_template(
        "secretary/task.html",
        task=task,
        light=task_light(task),
        problems=comment_problems(db.session, task),
        timeline=timeline,
        pending_extension=timeline.pending_extension,
        owner_box=_owner_box(task, forms.get("explanation")),
        forms=task_forms,
        step=step,
        open_form=forms.get("error_form") or forms.get("open_form") or step.open_form,
        missing=forms.get("missing", ()),
        can_request_closure="request_closure" in actions,
        error=forms.get("error"),
        error_form=forms.get("error_form"),
        max_evidence=evidence_files.format_size(settings().max_evidence_bytes),
    ), status


def _owner_box(task: Task, bound=None) -> dict:
    """What this page shows of 约谈/通报: the decisions, and the 情况说明 the organization department asked for
    (its form for those who may work on the task). Never a pending or dismissed proposal."""
    requests = proposal_owner.requests_for_task(db.session, task.id)
    may_answer = bool(requests) and current_user.role == Role.SECRETARY and can_work_on_task(current_user, task)
    return {"decisions": proposal_owner.decisions_for_tasks(db.session, [task.id]).get(task.id, []),
            "requests": requests,
            "form": (bound or ExplanationForm(formdata=None)) if may_answer else None}


@bp.app_template_filter("owner_level_label")
def _owner_level_label(level: int | None) -> str:
    """督办等级 on the secretary's pages: 约谈 and 通报 stay 督办 for a secretary until people decide."""
    from tracker.web.main import level_label

    return owner_level_label(level) if current_user.role == Role.SECRETARY else level_label(level)


@bp.post("/tasks/<int:task_id>/explanation")
@roles_required(Role.SECRETARY)
def submit_explanation(task_id: int):
    task = task_for_work(task_id)
    form = ExplanationForm()
    return _submit(task, "explanation", form, lambda now: proposal_owner.submit_explanation(
        db.session, task, actor=current_user, now=now, body=form.explanation.data,
    ), "情况说明已提交")


@bp.get("/tasks/<int:task_id>")
@login_required
def task(task_id: int):
    return _render_task(task_for_view(task_id))


def _checked_files(field):
    checked, errors = evidence_files.check_uploads(
        field.data, max_bytes=settings().max_evidence_bytes)
    if errors:
        field.errors = list(field.errors) + errors
    return checked, errors


def _submit(task: Task, form_name: str, form, change, success: str, files=None):
    """Checks the form (and its files), runs the one service call change(now), stores the files, commits once;
    nothing is kept, in the database or on disk, on any failure."""
    if not form.validate_on_submit():
        return _render_task(task, 400, **{form_name: form, "open_form": form_name})
    checked = []
    if files is not None:
        checked, errors = _checked_files(files)
        if errors:
            return _render_task(task, 400, **{form_name: form, "open_form": form_name})
    now, written = utcnow(), []

    def run():
        update = change(now)
        if files is not None:
            _rows, stored = evidence_files.attach(
                db.session, checked, task=task, update=update, actor=current_user, now=now,
                directory=evidence_files.upload_dir(settings()))
            written.extend(stored)

    def failed(message: str):
        evidence_files.discard(written)
        reloaded = task_for_view(task.id)  # the rollback expired it
        return _render_task(reloaded, 400, **{form_name: form, "error": message, "error_form": form_name})

    try:
        return commit_or(run, failed=failed, success=success, then=url_for("secretary.task", task_id=task.id))
    except Exception:
        db.session.rollback()
        evidence_files.discard(written)
        raise


@bp.post("/tasks/<int:task_id>/plan")
@login_required
def submit_plan(task_id: int):
    task = task_for_work(task_id)
    form = PlanForm()
    return _submit(task, "plan", form, lambda now: task_service.submit_plan(
        db.session, task, actor=current_user, now=now, measures=form.measures.data,
        responsible_person=form.responsible_person.data,
    ), "整改措施已提交")


@bp.post("/tasks/<int:task_id>/updates")
@login_required
def post_update(task_id: int):
    task = task_for_work(task_id)
    form = ProgressForm()
    return _submit(task, "progress", form, lambda now: task_service.post_progress(
        db.session, task, actor=current_user, now=now, body=form.body.data,
    ), "整改进展已提交", files=form.files)


@bp.post("/tasks/<int:task_id>/closure")
@login_required
def request_closure(task_id: int):
    task = task_for_work(task_id)
    form = ClosureForm()
    allowed = "request_closure" in {t.name for t in workflow.allowed_actions(current_user, task)}
    missing = _closure_gaps(task, form) if allowed else []
    if missing and form.validate_on_submit() and not form.confirm_empty.data:
        form.confirm_empty.errors = [f"本任务{'、'.join(missing)}，县委组织部审核时会看到。确认仍要申请销号，请勾选后再提交。"]
        return _render_task(task, 400, closure=form, open_form="closure", missing=missing)
    return _submit(task, "closure", form, lambda now: workflow.request_closure(
        db.session, task, actor=current_user, now=now, summary=form.summary.data,
    ), "已申请销号，等待县委组织部审核销号", files=form.closure_files)


def _closure_gaps(task: Task, form) -> list[str]:
    """What a 申请销号 lacks: 整改措施 never submitted, no 佐证材料 before or with it."""
    gaps = [] if task.measures else ["尚未提交整改措施"]
    sending = any(getattr(f, "filename", "") for f in (form.closure_files.data or []))
    if not sending and not has_evidence(db.session, task):
        gaps.append("没有佐证材料")
    return gaps


@bp.post("/tasks/<int:task_id>/extension")
@login_required
def request_extension(task_id: int):
    task = task_for_work(task_id)
    form = ExtensionForm()
    return _submit(task, "extension", form, lambda now: task_service.request_extension(
        db.session, task, actor=current_user, now=now, new_deadline=form.new_deadline.data,
        reason=form.reason.data, tz=settings().timezone,
    ), "延期申请已提交，等待县委组织部审批")


@bp.get("/evidence/<int:evidence_id>")
@login_required
def evidence(evidence_id: int):
    record = db.get_or_404(Evidence, evidence_id)
    task_for_view(record.task_id)
    path = evidence_files.stored_path(record, evidence_files.upload_dir(settings()))
    if path is None:
        abort(404)
    response = send_file(path, mimetype=record.content_type, as_attachment=True,
                         download_name=record.original_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response

