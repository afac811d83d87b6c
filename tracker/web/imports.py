"""导入点评 and 问题清单 in the browser: upload → (columns of a workbook) → preview, where every correction is one
action → confirm.

Nothing reaches the domain tables before confirm; confirm runs importer.apply_plan once and commits.
"""
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tracker.extensions import db
from tracker.models import Review, ReviewKind, Role, TaskType, Unit, User
from tracker.models.types import utcnow
from tracker.services import access
from tracker.services import import_actions as actions
from tracker.services import import_preview as preview
from tracker.services import import_workbook as workbook
from tracker.services.errors import DomainError
from tracker.services.problem_list import FIELD_LABELS, FIELDS, WorkbookError
from tracker.settings import settings
from tracker.timeutil import cn_date, local_date
from tracker.web.guards import roles_required
from tracker.web.hardening import parse_int

bp = Blueprint("imports", __name__, url_prefix="/imports")
WORKBOOK_SUFFIX = ".xlsx"


def _upload_dir() -> str:
    return settings().upload_dir


def _today():
    return local_date(utcnow(), settings().timezone)


def _default_deadline():
    return _today() + timedelta(days=settings().import_default_deadline_days)


def _recent_reviews():
    return db.session.scalars(access.visible_reviews(current_user).order_by(Review.imported_at.desc())
                              .limit(20)).all()


def _in_county(query, column, county_id: int | None):
    """Units of the import's county only (`county_id`; None: the current user's counties): an import never
    names, lists or matches another county's unit — two counties may both have a 青山镇."""
    if county_id is not None:
        return query.where(column.in_(select(Unit.id).where(Unit.county_id == county_id)))
    scope = access.unit_scope(current_user)
    return query if scope is None else query.where(column.in_(scope))


def _units_by_name(county_id: int | None) -> dict[str, int]:
    rows = db.session.execute(_in_county(select(Unit.name, Unit.id).where(
        Unit.merged_into_id.is_(None), Unit.needs_rename.is_(False)), Unit.id, county_id).order_by(Unit.id.desc()))
    return dict(rows.all())


def _secretaries(county_id: int | None) -> dict[int, tuple[int, str]]:
    """Each unit's current secretary (the newest active one), as importer.current_secretary picks it."""
    rows = db.session.execute(_in_county(select(User.unit_id, User.id, User.name).where(
        User.role == Role.SECRETARY, User.active.is_(True), User.unit_id.is_not(None)), User.unit_id, county_id)
        .order_by(User.id))
    return {unit_id: (user_id, name) for unit_id, user_id, name in rows}


def _county(pending) -> int | None:
    return pending.state.get("county_id")


def _upload_county() -> tuple[int | None, str | None]:
    """The county the upload goes to: the form's choice (a city or province account picks one of its counties),
    else the account's own county or the install's default. (None, None): a county install not yet having its
    county row, made at confirm."""
    chosen = parse_int(request.form.get("county_id"), None, minimum=1)
    if chosen is not None:
        if chosen not in {c.id for c in access.counties_of(db.session, current_user)}:
            return None, "所选县（市、区）不存在或不在本部门管辖范围内"
        return chosen, None
    home = access.home_county_id(db.session, current_user)
    if home is None and current_user.organization_id is not None:
        return None, "请选择导入到哪个县（市、区）"
    return home, None


def _upload_page(error: str | None = None, status: int = 200):
    limit_mb = settings().max_document_bytes / (1024 * 1024)
    counties = access.counties_of(db.session, current_user) if current_user.organization_id is not None else []
    return render_template("imports/upload.html", error=error, reviews=_recent_reviews(),
                           counties=counties if len(counties) > 1 else [],
                           limit_text=f"{limit_mb:.1f} MB" if limit_mb >= 1 else
                           f"{settings().max_document_bytes // 1024} KB"), status


def _already_imported(review: Review) -> str:
    if not access.can_view_review(current_user, review):
        # Names nothing of another county's review; one document is imported once in the whole install.
        return "该文件已由其他县（市、区）导入，不能重复导入；如确需导入，请联系系统管理员"
    return (f"该{'文档' if review.kind == ReviewKind.APPRAISAL else '问题清单'}已于"
            f"{cn_date(review.imported_at, settings().timezone)}导入（“{review.title}”），不会重复导入")


def _existing(content_hash: str) -> Review | None:
    return db.session.scalar(select(Review).where(Review.content_hash == content_hash))


@bp.get("/", endpoint="upload")
@roles_required(Role.ORG_DEPT)
def upload_form():
    return _upload_page()


@bp.post("/")
@roles_required(Role.ORG_DEPT)
def upload_submit():
    file = request.files.get("document")
    if file is None or not file.filename:
        return _upload_page("请选择要导入的点评文档（.txt 或 .docx）或问题清单（.xlsx）", 400)
    limit = settings().max_document_bytes
    data = file.read(limit + 1)
    if len(data) > limit:
        return _upload_page(f"文件过大：上传的文件不能超过 {limit // 1024} KB", 400)
    if not data:
        return _upload_page("文件是空的，请重新选择", 400)
    if file.filename.lower().endswith(".xls"):
        return _upload_page("这是旧版 Excel（.xls）文件：请在 Excel 或 WPS 中“另存为” .xlsx 后再上传", 400)
    county_id, error = _upload_county()
    if error:
        return _upload_page(error, 400)
    if file.filename.lower().endswith(WORKBOOK_SUFFIX):
        return _upload_workbook(file.filename, data, county_id)
    return _upload_transcript(file.filename, data, county_id)


def _upload_transcript(filename: str, data: bytes, county_id: int | None):
    from tracker.parser import ParseError, parse_text, read_document
    from tracker.services.importer import content_hash

    try:
        text = read_document(data, filename)
        parsed = parse_text(text)
    except ParseError as error:
        return _upload_page(str(error), 400)
    existing = _existing(content_hash(text))
    if existing is not None:
        return _upload_page(_already_imported(existing), 409)
    state = preview.initial_state(parsed, units_by_name=_units_by_name(county_id),
                                  secretaries=_secretaries(county_id), today=_today(), lines=text.splitlines(),
                                  default_type=TaskType.TIME_LIMITED, default_deadline=_default_deadline())
    state["county_id"] = county_id
    pending = preview.store(_upload_dir(), user_id=current_user.id, filename=filename, data=data, state=state)
    return redirect(url_for("imports.preview_page", token=pending.token))


def _upload_workbook(filename: str, data: bytes, county_id: int | None):
    from tracker.services.problem_list import content_digest, read_layout

    try:
        layout = read_layout(data)
        digest = content_digest(data)
    except WorkbookError as error:
        return _upload_page(str(error), 400)
    existing = _existing(digest)
    if existing is not None:
        return _upload_page(_already_imported(existing), 409)
    state = workbook.mapping_state(layout, filename=filename, default_type=TaskType.TIME_LIMITED,
                                   default_deadline=_default_deadline())
    state["county_id"] = county_id
    pending = preview.store(_upload_dir(), user_id=current_user.id, filename=filename, data=data, state=state)
    return redirect(url_for("imports.preview_page", token=pending.token))


def _pending(token: str) -> preview.PendingUpload:
    pending = preview.load(_upload_dir(), token, user_id=current_user.id)
    if pending is None:
        abort(404)
    return pending


def _mapping_page(pending, message: str | None = None, status: int = 200):
    return render_template("imports/mapping.html", pending=pending, state=pending.state, fields=FIELDS,
                           labels=FIELD_LABELS, message=message), status


def _preview_page(pending, errors: dict | None = None, message: str | None = None, status: int = 200):
    if pending.state.get("stage") == "mapping":
        return _mapping_page(pending, message, status)
    units = db.session.scalars(_in_county(select(Unit).where(Unit.merged_into_id.is_(None)), Unit.id,
                                          _county(pending)).order_by(Unit.name, Unit.id)).all()
    state = pending.state
    counts = sum(len(problems) for _, problems in actions.problem_lists(state))
    to_check = [(i, s, actions.open_warnings(s)) for i, s in enumerate(state["sections"])]
    to_check = [item for item in to_check if item[2]]
    targets = [(key, actions.target_label(state, key)) for key, _ in actions.problem_lists(state)]
    return render_template("imports/preview.html", pending=pending, state=state, units=units,
                           errors=errors or {}, message=message, types=list(TaskType), task_count=counts,
                           new_unit=preview.NEW_UNIT, today=_today(), to_check=to_check, targets=targets,
                           owner_options=actions.owner_options, open_warnings=actions.open_warnings,
                           kinds=ReviewKind.FROM_WORKBOOK), status


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
    if pending.state.get("stage") == "mapping":
        return _mapping_post(pending, op)
    preview.update_from_form(pending.state, request.form, secretaries=_secretaries(_county(pending)))
    try:
        _apply_op(pending, op)
    except (DomainError, WorkbookError) as error:
        preview.save(_upload_dir(), pending)
        return _preview_page(pending, message=str(error), status=400)
    preview.save(_upload_dir(), pending)
    if op == "confirm":
        return _confirm(pending)
    return _preview_page(pending)


def _apply_op(pending, op: str) -> None:
    state, form = pending.state, request.form
    action, _, ref = op.partition(":")
    if action == "split":
        actions.split_problem(state, ref)
    elif action == "merge":
        actions.merge_with_previous(state, ref)
    elif action == "delete":
        actions.delete_problem(state, ref)
    elif action == "move":
        actions.move_problem(state, ref, form.get(f"{ref}-to", ""))
    elif action == "add":
        actions.add_problem(state, ref, form.get(f"s{ref}-new", ""))
    elif action == "mark":
        actions.mark_paragraph(state, ref, form.get(f"para{ref}-text", ""), form.get(f"para{ref}-to", ""))
    elif action == "fixrow" and ref.isdigit():
        county_id = _county(pending)
        workbook.fix_bad_row(state, int(ref), units_by_name=_units_by_name(county_id),
                             secretaries=_secretaries(county_id))
    elif action == "remap" and state.get("source_kind") == "workbook":
        state["stage"] = "mapping"
    elif action == "defaults":
        actions.apply_defaults(state)


def _mapping_post(pending, op: str):
    if op != "map":
        return _mapping_page(pending)
    try:
        workbook.update_mapping(pending.state, request.form)
        workbook.apply_mapping(pending.state, preview.read_bytes(_upload_dir(), pending),
                               units_by_name=_units_by_name(_county(pending)),
                               secretaries=_secretaries(_county(pending)), today=_today())
    except (DomainError, WorkbookError) as error:
        preview.save(_upload_dir(), pending)
        return _mapping_page(pending, str(error), 400)
    preview.save(_upload_dir(), pending)
    return redirect(url_for("imports.preview_page", token=pending.token))


def _content_hash(pending) -> str:
    from tracker.parser import read_document
    from tracker.services.importer import content_hash
    from tracker.services.problem_list import content_digest

    data = preview.read_bytes(_upload_dir(), pending)
    if pending.state.get("source_kind") == "workbook":
        return content_digest(data)
    return content_hash(read_document(data, pending.filename))


def _confirm(pending):
    from tracker.parser import ParseError
    from tracker.services.importer import apply_plan

    unit_ids = set(db.session.scalars(_in_county(select(Unit.id).where(Unit.merged_into_id.is_(None)), Unit.id,
                                                 _county(pending))))
    errors = preview.validate(pending.state, today=_today(), unit_ids=unit_ids)
    if errors:
        return _preview_page(pending, errors, "请先改正标红的内容，再确认导入", 400)
    try:
        digest = _content_hash(pending)
    except (ParseError, WorkbookError, OSError) as error:
        return _preview_page(pending, message=f"无法重新读取上传的文件：{error}", status=400)
    plan = preview.to_plan(pending.state, content_hash=digest, filename=pending.filename)
    try:
        result = apply_plan(db.session, plan, actor=current_user, now=utcnow(),
                            rules=settings().rules, tz=settings().timezone, county_id=_county(pending))
        if not result.created:
            db.session.rollback()
            preview.discard(_upload_dir(), pending.token)
            flash(_already_imported(result.review), "error")
            if not access.can_view_review(current_user, result.review):
                return redirect(url_for("imports.upload"))
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
