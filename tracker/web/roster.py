"""党组织书记名册 in the browser: upload → preview (columns editable, units picked among near matches) →
confirm (one transaction, all or nothing, optionally inviting every new account) and export.

Nothing is written before confirm; the uploaded file waits in the upload directory under a token that
only its uploader can open.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from io import BytesIO

from tracker.extensions import db
from tracker.models import Role
from tracker.models.accounts import AccountToken
from tracker.models.types import utcnow
from tracker.roster import apply as roster_apply
from tracker.roster.matching import build_plan
from tracker.roster.workbook import FIELDS, RosterFileError, read_sheet, write_roster
from tracker.services import access, audit
from tracker.services import import_preview as pending_files
from tracker.services.errors import DomainError
from tracker.settings import settings
from tracker.web.auth import send_account_link
from tracker.web.guards import roles_required

bp = Blueprint("roster", __name__, url_prefix="/roster")
KIND = "roster"


def _max_bytes() -> int:
    return min(settings().max_document_bytes, 5 * 1024 * 1024)


def _upload_page(error: str | None = None, status: int = 200):
    return render_template("roster/upload.html", error=error, fields=FIELDS,
                           limit_kb=_max_bytes() // 1024), status


@bp.get("/", endpoint="upload")
@roles_required(Role.ORG_DEPT)
def upload_form():
    return _upload_page()


@bp.post("/")
@roles_required(Role.ORG_DEPT)
def upload_submit():
    file = request.files.get("roster")
    if file is None or not file.filename:
        return _upload_page("请选择党组织书记名册文件（.xlsx）", 400)
    data = file.read(_max_bytes() + 1)
    try:
        sheet = read_sheet(data, max_bytes=_max_bytes())
    except RosterFileError as exc:
        return _upload_page(str(exc), 400)
    state = {"kind": KIND, "mapping": sheet.mapping, "choices": {}}
    pending = pending_files.store(settings().upload_dir, user_id=current_user.id, filename=file.filename[:200],
                                  data=data, state=state)
    return redirect(url_for("roster.preview_page", token=pending.token))


def _pending(token: str):
    pending = pending_files.load(settings().upload_dir, token, user_id=current_user.id)
    if pending is None or pending.state.get("kind") != KIND:
        abort(404)
    return pending


def _plan(pending):
    sheet = read_sheet(pending_files.read_bytes(settings().upload_dir, pending), max_bytes=_max_bytes())
    mapping = {k: (int(v) if v is not None else None) for k, v in pending.state["mapping"].items()}
    return sheet, build_plan(db.session, sheet, mapping=mapping, choices=pending.state.get("choices", {}),
                             scope=access.unit_scope(current_user))


def _preview(pending, *, error: str | None = None, status: int = 200):
    sheet, plan = _plan(pending)
    return render_template("roster/preview.html", pending=pending, sheet=sheet, plan=plan, fields=FIELDS,
                           mapping=pending.state["mapping"], error=error), status


@bp.get("/<token>", endpoint="preview_page")
@roles_required(Role.ORG_DEPT)
def preview_view(token: str):
    return _preview(_pending(token))


@bp.post("/<token>")
@roles_required(Role.ORG_DEPT)
def preview_post(token: str):
    pending = _pending(token)
    action = request.form.get("action", "update")
    if action == "discard":
        pending_files.discard(settings().upload_dir, token)
        flash("已放弃本次名册导入，未写入任何数据", "success")
        return redirect(url_for("roster.upload"))
    columns = len(read_sheet(pending_files.read_bytes(settings().upload_dir, pending), max_bytes=_max_bytes()).headers)
    mapping = {}
    for name in FIELDS:
        value = request.form.get(f"col_{name}", "")
        mapping[name] = int(value) if value.isdigit() and int(value) < columns else None
    if mapping["unit"] is None or mapping["name"] is None:
        return _preview(pending, error="“单位”和“姓名”两列必须指定", status=400)
    pending.state["mapping"] = mapping
    pending.state["choices"] = {key[5:]: value for key, value in request.form.items()
                                if key.startswith("unit_") and value.isdigit()}
    pending_files.save(settings().upload_dir, pending)
    if action != "confirm":
        return redirect(url_for("roster.preview_page", token=token))
    return _confirm(pending, invite=request.form.get("invite") == "y")


def _confirm(pending, *, invite: bool):
    _sheet, plan = _plan(pending)
    if not plan.good:
        return _preview(pending, error="名册中没有可以导入的行，请改正后重新上传", status=400)
    now = utcnow()
    try:
        applied = roster_apply.apply_roster(db.session, plan, actor=current_user, now=now)
        invited = 0
        if invite:
            for user in applied.invitable:
                send_account_link(user, purpose=AccountToken.INVITATION, actor=current_user, now=now)
                invited += 1
        audit.record(db.session, actor=current_user, now=now, action="import_roster", entity=current_user,
                     note=f"{pending.filename}：新建{applied.created}人，更新{applied.updated}人，换届{applied.replaced}人，"
                          f"转交任务{applied.moved_tasks}项，发送邀请{invited}封，跳过第{_rows(applied.skipped_rows)}行")
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _preview(pending, error=f"导入未完成，未写入任何数据：{exc}", status=400)
    pending_files.discard(settings().upload_dir, pending.token)
    message = (f"名册已导入：新建{applied.created}人，更新{applied.updated}人，换届{applied.replaced}人"
               f"（{applied.moved_tasks}项未销号任务已转交新书记）")
    if invite:
        message += f"，已向{invited}个新账号发送邀请"
    elif applied.invitable:
        message += f"；{len(applied.invitable)}个账号尚未发送邀请，可在“用户”页批量发送"
    if applied.skipped_rows:
        message += f"；第{_rows(applied.skipped_rows)}行有误，未导入"
    flash(message, "success")
    return redirect(url_for("admin.users", never="y"))


def _rows(numbers) -> str:
    return "、".join(str(n) for n in numbers) or "（无）"


@bp.get("/export")
@roles_required(Role.ORG_DEPT)
def export():
    data = write_roster(roster_apply.roster_rows(db.session, access.unit_scope(current_user)))
    return send_file(BytesIO(data), as_attachment=True, download_name="党组织书记名册.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
