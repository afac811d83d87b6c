"""导入点评 in the browser: upload → preview (edit, split, merge, map units, deadlines) → confirm.

Nothing reaches the domain tables before confirm; confirm runs importer.apply_plan once and commits.
"""
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tracker.extensions import db
from tracker.models import Review, Role, TaskType, Unit
from tracker.models.types import utcnow
from tracker.services import import_preview as preview
from tracker.services.errors import DomainError
from tracker.timeutil import cn_date, local_date
from tracker.web.guards import roles_required
from tracker.settings import settings

bp = Blueprint("imports", __name__, url_prefix="/imports")



def _upload_dir() -> str:
    return settings().upload_dir


def _today():
    return local_date(utcnow(), settings().timezone)


def _recent_reviews():
    return db.session.scalars(select(Review).order_by(Review.imported_at.desc()).limit(20)).all()


def _upload_page(error: str | None = None, status: int = 200):
    limit_mb = settings().max_document_bytes / (1024 * 1024)
    return render_template("imports/upload.html", error=error, reviews=_recent_reviews(),
                           limit_text=f"{limit_mb:.1f} MB" if limit_mb >= 1 else
                           f"{settings().max_document_bytes // 1024} KB"), status


def _already_imported(review: Review) -> str:
    return (f"该文档已于{cn_date(review.imported_at, settings().timezone)}导入"
            f"（“{review.title}”），不会重复导入")


@bp.get("/", endpoint="upload")
@roles_required(Role.ORG_DEPT)
def upload_form():
    return _upload_page()


@bp.post("/")
@roles_required(Role.ORG_DEPT)
def upload_submit():
    from tracker.parser import ParseError, parse_text, read_document
    from tracker.services.importer import content_hash

    file = request.files.get("document")
    if file is None or not file.filename:
        return _upload_page("请选择要导入的点评文档（.txt 或 .docx）", 400)
    limit = settings().max_document_bytes
    data = file.read(limit + 1)
    if len(data) > limit:
        return _upload_page(f"文件过大：点评文档不能超过 {limit // 1024} KB", 400)
    if not data:
        return _upload_page("文件是空的，请重新选择", 400)
    try:
        text = read_document(data, file.filename)
        parsed = parse_text(text)
    except ParseError as error:
        return _upload_page(str(error), 400)
    existing = db.session.scalar(select(Review).where(Review.content_hash == content_hash(text)))
    if existing is not None:
        return _upload_page(_already_imported(existing), 409)
    units = db.session.execute(
        select(Unit.name, Unit.id).where(Unit.merged_into_id.is_(None), Unit.needs_rename.is_(False))
        .order_by(Unit.id.desc())
    ).all()
    today = _today()
    state = preview.initial_state(parsed, units_by_name=dict(units), held_on=today,
                                  default_type=TaskType.TIME_LIMITED,
                                  default_deadline=today + timedelta(days=settings().import_default_deadline_days))
    pending = preview.store(_upload_dir(), user_id=current_user.id, filename=file.filename, data=data, state=state)
    return redirect(url_for("imports.preview_page", token=pending.token))


def _pending(token: str) -> preview.PendingUpload:
    pending = preview.load(_upload_dir(), token, user_id=current_user.id)
    if pending is None:
        abort(404)
    return pending


def _preview_page(pending, errors: dict | None = None, message: str | None = None, status: int = 200):
    units = db.session.scalars(select(Unit).where(Unit.merged_into_id.is_(None)).order_by(Unit.name, Unit.id)).all()
    state = pending.state
    counts = sum(len(s["problems"]) for s in state["sections"]) + len(state["overall"])
    return render_template("imports/preview.html", pending=pending, state=state, units=units,
                           errors=errors or {}, message=message, types=list(TaskType), task_count=counts,
                           new_unit=preview.NEW_UNIT, today=_today()), status


@bp.get("/<token>", endpoint="preview_page")
@roles_required(Role.ORG_DEPT)
def preview_view(token: str):
    return _preview_page(_pending(token))


@bp.post("/<token>")
@roles_required(Role.ORG_DEPT)
def preview_post(token: str):
    pending = _pending(token)
    op = request.form.get("op", "save")
    if op == "cancel":
        preview.discard(_upload_dir(), token)
        flash("已取消本次导入，未写入任何数据", "success")
        return redirect(url_for("imports.upload"))
    preview.update_from_form(pending.state, request.form)
    try:
        if op.startswith("split:"):
            preview.split_problem(pending.state, op.partition(":")[2])
        elif op.startswith("merge:"):
            preview.merge_with_previous(pending.state, op.partition(":")[2])
        elif op == "defaults":
            preview.apply_defaults(pending.state)
    except DomainError as error:
        preview.save(_upload_dir(), pending)
        return _preview_page(pending, message=str(error), status=400)
    preview.save(_upload_dir(), pending)
    if op == "confirm":
        return _confirm(pending)
    return _preview_page(pending)


def _confirm(pending):
    from tracker.parser import ParseError, read_document
    from tracker.services.importer import apply_plan

    unit_ids = set(db.session.scalars(select(Unit.id).where(Unit.merged_into_id.is_(None))))
    errors = preview.validate(pending.state, today=_today(), unit_ids=unit_ids)
    if errors:
        return _preview_page(pending, errors, "请先改正标红的内容，再确认导入", 400)
    try:
        text = read_document(preview.read_bytes(_upload_dir(), pending), pending.filename)
    except (ParseError, OSError) as error:
        return _preview_page(pending, message=f"无法重新读取上传的文档：{error}", status=400)
    plan = preview.to_plan(pending.state, text=text, filename=pending.filename)
    try:
        result = apply_plan(db.session, plan, actor=current_user, now=utcnow(),
                            rules=settings().rules, tz=settings().timezone)
        if not result.created:
            db.session.rollback()
            preview.discard(_upload_dir(), pending.token)
            flash(_already_imported(result.review), "error")
            return redirect(url_for("org.dashboard", review=result.review.id))
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _preview_page(pending, message=f"导入失败，未写入任何数据：{error}", status=400)
    except IntegrityError:
        # Two confirms of the same document at once: the unique content hash lets only one through.
        db.session.rollback()
        return _preview_page(pending, message="导入失败，未写入任何数据：该文档可能刚刚已被导入，请查看工作台",
                             status=409)
    preview.discard(_upload_dir(), pending.token)
    flash(f"导入成功：{len(result.tasks)}个整改任务，新建单位{len(result.new_units)}个", "success")
    if result.flagged_units:
        flash(f"有{len(result.flagged_units)}个单位名称已匿名化，请在“责任单位”页面更名或合并", "error")
    return redirect(url_for("org.dashboard", review=result.review.id))
