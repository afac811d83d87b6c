"""用户管理: admins manage every account; the organization department manages secretaries only."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from wtforms import SelectField
from wtforms.validators import Optional

from tracker.extensions import db
from tracker.models import Organization, Role, Unit, User
from tracker.models.accounts import AccountToken
from tracker.models.types import utcnow
from tracker.services import access, accounts
from tracker.services.errors import DomainError
from tracker.web.admin_bulk import BulkUsersForm
from tracker.web.auth import link_hours, send_account_link
from tracker.web.forms import ConfirmForm, UserFilterForm, UserForm, role_choices
from tracker.web.guards import roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")
MANAGERS = (Role.ADMIN, Role.ORG_DEPT)
PER_PAGE = 50


def _managed_user(user_id: int) -> User:
    """The user, when the current user may manage them; 404 otherwise (others' existence is not disclosed)."""
    user = db.session.get(User, user_id)
    if user is None or not accounts.can_manage_user(current_user, user):
        abort(404)
    return user


class TenantUserForm(UserForm):
    """The account form with the 组织部 node a 组织部/纪委/admin account works for (admins set it)."""

    organization_id = SelectField("所属组织部门", coerce=int, validators=[Optional()])


def _unit_choices() -> list[tuple[int, str]]:
    query = select(Unit.id, Unit.name).where(Unit.merged_into_id.is_(None))
    scope = access.unit_scope(current_user)
    if scope is not None:
        query = query.where(Unit.id.in_(scope))
    units = db.session.execute(query.order_by(Unit.name, Unit.id)).all()
    return [(0, "（无）")] + [(row.id, row.name) for row in units]


def _organization_choices() -> list[tuple[int, str]]:
    query = select(Organization.id, Organization.name, Organization.level)
    scope = access.organization_scope(current_user)
    if scope is not None:
        query = query.where(Organization.id.in_(scope))
    nodes = db.session.execute(query.order_by(Organization.level, Organization.name, Organization.id)).all()
    whole = [] if current_user.organization_id is not None else [(0, "（不限：全部县市区）")]
    return whole + [(row.id, f"{row.name}（{row.level}）") for row in nodes]


def _user_form(**kwargs) -> UserForm:
    is_admin = current_user.role == Role.ADMIN
    form = (TenantUserForm if is_admin else UserForm)(**kwargs)
    form.role.choices = role_choices(current_user.role)
    form.unit_id.choices = _unit_choices()
    if is_admin:
        form.organization_id.choices = _organization_choices()
    return form


def _chosen_unit(form: UserForm) -> Unit | None:
    return db.session.get(Unit, form.unit_id.data) if form.unit_id.data else None


def _placement(form: UserForm) -> dict:
    """The organization argument of the account services: only admins set it (the field is theirs)."""
    if not isinstance(form, TenantUserForm):
        return {}
    chosen = form.organization_id.data
    if form.role.data == Role.SECRETARY:
        return {"organization": None}  # a secretary goes by their unit
    return {"organization": db.session.get(Organization, chosen) if chosen else None}


@bp.get("/users")
@roles_required(*MANAGERS)
def users():
    filters = UserFilterForm(request.args)
    query = access.visible_users(current_user, select(User).options(selectinload(User.unit))
                                 .order_by(User.role, User.unit_id, User.id))
    if current_user.role != Role.ADMIN:
        query = query.where(User.role == Role.SECRETARY)
    if not filters.include_inactive.data:
        query = query.where(User.active.is_(True))
    never = request.args.get("never") == "y"
    if never:
        query = query.where(User.last_login_at.is_(None))
    text = (filters.q.data or "").strip()
    if text:
        pattern = f"%{text}%"
        query = query.where(or_(User.name.ilike(pattern), User.username.ilike(pattern), User.email.ilike(pattern)))
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    return render_template("admin/users.html", page=page, filters=filters, roles={r.value: r.label for r in Role},
                           never=never, bulk=BulkUsersForm())


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new_user():
    form = _user_form()
    error = None
    if form.validate_on_submit():
        if not accounts.can_manage_user(current_user, role=form.role.data):
            abort(404)
        try:
            user = accounts.create_user(db.session, username=form.username.data, name=form.name.data,
                                        role=form.role.data, email=form.email.data, unit=_chosen_unit(form),
                                        password=None, actor=current_user, now=utcnow(), **_placement(form))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            flash(f"已创建用户 {user.name}，可发送邀请邮件让其设置密码", "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    status = 400 if (error or form.errors) else 200
    return render_template("admin/user_form.html", form=form, user=None, error=error), status


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit_user(user_id: int):
    user = _managed_user(user_id)
    form = _user_form(obj=user) if request.method == "GET" else _user_form()
    if request.method == "GET":
        form.unit_id.data = user.unit_id or 0
        if isinstance(form, TenantUserForm):
            form.organization_id.data = user.organization_id or 0
    error = None
    if form.validate_on_submit():
        try:
            accounts.update_user(db.session, user, actor=current_user, now=utcnow(), name=form.name.data,
                                 role=form.role.data, email=form.email.data, unit=_chosen_unit(form),
                                 username=form.username.data, **_placement(form))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            error = str(exc)
            user = _managed_user(user_id)
        else:
            flash("用户信息已保存", "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return _render_edit(user, form, error, 400 if (error or form.errors) else 200)


def _render_edit(user: User, form: UserForm, error: str | None, status: int):
    last_link = db.session.scalar(
        select(AccountToken).where(AccountToken.user_id == user.id)
        .order_by(AccountToken.created_at.desc(), AccountToken.id.desc()).limit(1)
    )
    return render_template("admin/user_form.html", form=form, user=user, error=error, confirm=ConfirmForm(),
                           last_link=last_link, now=utcnow(), is_admin=current_user.role == Role.ADMIN,
                           invitation_hours=link_hours(AccountToken.INVITATION),
                           reset_hours=link_hours(AccountToken.PASSWORD_RESET)), status


def _confirmed_action(user_id: int, change, success: str):
    user = _managed_user(user_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        change(user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(success.format(name=user.name), "success")
    return redirect(url_for("admin.edit_user", user_id=user_id))


@bp.post("/users/<int:user_id>/deactivate")
@roles_required(*MANAGERS)
def deactivate_user(user_id: int):
    return _confirmed_action(
        user_id, lambda u: accounts.set_active(db.session, u, actor=current_user, now=utcnow(), active=False),
        "已停用 {name} 的账号，其登录已失效")


@bp.post("/users/<int:user_id>/activate")
@roles_required(*MANAGERS)
def activate_user(user_id: int):
    return _confirmed_action(
        user_id, lambda u: accounts.set_active(db.session, u, actor=current_user, now=utcnow(), active=True),
        "已启用 {name} 的账号")


@bp.post("/users/<int:user_id>/invite")
@roles_required(*MANAGERS)
def invite_user(user_id: int):
    return _confirmed_action(
        user_id, lambda u: send_account_link(u, purpose=AccountToken.INVITATION, actor=current_user),
        "邀请邮件已放入发件箱，将发送给 {name}")


@bp.post("/users/<int:user_id>/reset-link")
@roles_required(Role.ADMIN)
def send_reset_link(user_id: int):
    """For an account that already has a password (an invitation is refused there). Admin only: the
    organization department may edit secretaries' emails, so it must not also be able to send them links."""
    return _confirmed_action(
        user_id, lambda u: send_account_link(u, purpose=AccountToken.PASSWORD_RESET, actor=current_user),
        "重置密码邮件已放入发件箱，将发送给 {name}")



@bp.post("/users/bulk")
@roles_required(*MANAGERS)
def bulk_users():
    from tracker.web.admin_bulk import run_bulk

    return run_bulk(_managed_user)
