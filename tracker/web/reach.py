"""Reach pages: the 待电话转达 list (notices no channel delivered), the units' group robots, and each
person's own channels (/reach/me)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from tracker.extensions import db
from tracker.mail import reach, robot
from tracker.models import Role, Unit, User
from tracker.models.notify import PhoneRelay
from tracker.models.types import utcnow
from tracker.services import access, audit
from tracker.services.accounts import normalise_email
from tracker.services.errors import DomainError
from tracker.web.guards import roles_required

bp = Blueprint("reach", __name__, url_prefix="/reach")
PER_PAGE = 100


@bp.app_context_processor
def _unreached():
    # Lazy: only the pages that include the 工作台 panel run the query.
    return {"unreached_count": lambda: reach.open_relays_count(db.session)}


def _people():
    """The ids of the people this account may call: those of its counties (access.visible_users)."""
    return access.visible_users(current_user, select(User.id))


@bp.get("/phone")
@roles_required(Role.ORG_DEPT)
def phone_list():
    done = request.args.get("done") == "y"
    query = select(PhoneRelay).options(selectinload(PhoneRelay.user).selectinload(User.unit),
                                       selectinload(PhoneRelay.called_by))
    query = query.where(PhoneRelay.user_id.in_(_people()))
    query = (query.where(PhoneRelay.called_at.is_not(None)).order_by(PhoneRelay.called_at.desc()) if done else
             query.where(PhoneRelay.called_at.is_(None)).order_by(PhoneRelay.created_at, PhoneRelay.id))
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    waiting = db.session.scalar(select(func.count()).select_from(PhoneRelay).where(
        PhoneRelay.called_at.is_(None), PhoneRelay.user_id.in_(_people())))
    return render_template("reach/phone_list.html", page=page, done=done, waiting=waiting)


@bp.post("/phone/<int:relay_id>/called")
@roles_required(Role.ORG_DEPT)
def mark_called(relay_id: int):
    relay = db.session.get(PhoneRelay, relay_id)
    if relay is None or db.session.scalar(_people().where(User.id == relay.user_id)) is None:
        abort(404)
    if relay.called_at is not None:
        flash(f"该通知已于此前由{relay.called_by.name if relay.called_by else '他人'}电话通知", "error")
        return redirect(url_for("reach.phone_list"))
    now = utcnow()
    note = " ".join((request.form.get("note") or "").split())[:200]
    relay.called_by_id, relay.call_note = current_user.id, note
    audit.change(db.session, actor=current_user, now=now, entity=relay, field="called_at", value=now,
                 action="phone_relayed", note=f"已电话通知{relay.user.name}：{relay.title}" + (f"（{note}）" if note else ""))
    db.session.commit()
    flash(f"已记录：{current_user.name}已电话通知{relay.user.name}", "success")
    return redirect(url_for("reach.phone_list"))


@bp.get("/robots")
@roles_required(Role.ORG_DEPT)
def robots():
    query = select(Unit).where(Unit.merged_into_id.is_(None))
    scope = access.unit_scope(current_user)
    if scope is not None:
        query = query.where(Unit.id.in_(scope))
    units = db.session.scalars(query.order_by(Unit.name, Unit.id)).all()
    return render_template("reach/robots.html", units=units, kinds=robot.KINDS)


@bp.route("/robots/<int:unit_id>", methods=["GET", "POST"])
@roles_required(Role.ORG_DEPT)
def robot_settings(unit_id: int):
    unit = db.session.get(Unit, unit_id)
    if unit is None or unit.merged_into_id is not None or not access.can_view_unit(current_user, unit):
        abort(404)
    error = None
    if request.method == "POST":
        kind = request.form.get("kind", "")
        url = request.form.get("url", "")
        secret = (request.form.get("secret") or "").strip()
        now = utcnow()
        try:
            if request.form.get("action") == "clear" or not url.strip():
                values = {"robot_kind": None, "robot_url": None, "robot_secret": None}
            else:
                if kind not in robot.KINDS:
                    raise DomainError("请选择机器人类型")
                if len(secret) > 200:
                    raise DomainError("签名密钥过长（最多200个字符）")
                try:
                    values = {"robot_kind": kind, "robot_url": robot.check_url(url), "robot_secret": secret or None}
                except ValueError as exc:
                    raise DomainError(str(exc)) from exc
            for field, value in values.items():
                # The secret is never written into the audit trail, only that it changed.
                if field == "robot_secret":
                    if value != unit.robot_secret:
                        unit.robot_secret = value
                        audit.record(db.session, actor=current_user, now=now, action="update", entity=unit,
                                     field="robot_secret", note="签名密钥已修改" if value else "签名密钥已清除")
                else:
                    audit.change(db.session, actor=current_user, now=now, entity=unit, field=field, value=value)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            flash(f"{unit.name}的群机器人已{'设置' if unit.robot_url else '清除'}", "success")
            return redirect(url_for("reach.robots"))
    return render_template("reach/robot_form.html", unit=unit, kinds=robot.KINDS, error=error), 400 if error else 200


@bp.route("/me", methods=["GET", "POST"])
@login_required
def me():
    user = current_user._get_current_object()
    error = None
    if request.method == "POST":
        # Safe option: an email is added only where there is none; changing one stays with the organization
        # department or an administrator (the email is where password-reset links go).
        try:
            if user.email:
                raise DomainError("你的账号已有邮箱；如需更换，请联系县委组织部或系统管理员")
            email = normalise_email(request.form.get("email"))
            if not email:
                raise DomainError("请填写邮箱")
            if db.session.scalar(select(func.count()).select_from(User).where(User.email == email, User.id != user.id)):
                raise DomainError(f"邮箱“{email}”已被其他账号使用")
            audit.change(db.session, actor=user, now=utcnow(), entity=user, field="email", value=email,
                         action="add_own_email")
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            flash("邮箱已保存，今后的通知也会发到该邮箱", "success")
            return redirect(url_for("reach.me"))
    return render_template("reach/me.html", user=user, reach=reach.reach_of(user), error=error), 400 if error else 200
