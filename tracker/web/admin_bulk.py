"""Bulk onboarding on the users page: invite the selected, resend to those who never logged in, deactivate.

One transaction for the whole selection; every account that could not be handled is named with the reason
(no email, already has a password, …), never skipped in silence. Each change is audited by the service."""
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectMultipleField, StringField
from wtforms.validators import AnyOf, InputRequired

from tracker.extensions import db
from tracker.models import Role, User
from tracker.models.accounts import AccountToken
from tracker.models.types import utcnow
from tracker.web.hardening import coerce_int
from tracker.services import access, accounts
from tracker.services.errors import DomainError

ACTIONS = {"invite": "发送邀请", "resend": "向从未登录的重发邀请", "deactivate": "停用"}
MAX_SELECTED = 500


class BulkUsersForm(FlaskForm):
    user_ids = SelectMultipleField("选择", coerce=coerce_int, validate_choice=False)
    # A plain field checked against ACTIONS: the page renders its own <select>.
    action = StringField("批量操作", validators=[InputRequired("请选择批量操作"), AnyOf(list(ACTIONS))])


def _targets(form: BulkUsersForm, managed) -> list[User]:
    ids = list(dict.fromkeys(form.user_ids.data or []))[:MAX_SELECTED]
    if not ids and form.action.data == "resend":
        # Nothing ticked: every account this user manages that never logged in and can still be invited.
        query = select(User).where(User.last_login_at.is_(None), User.active.is_(True), User.password_hash.is_(None),
                                   User.email.is_not(None)).order_by(User.id)
        if current_user.role != Role.ADMIN:
            query = query.where(User.role == Role.SECRETARY)
        query = access.visible_users(current_user, query)
        return db.session.scalars(query.limit(MAX_SELECTED)).all()
    return [managed(user_id) for user_id in ids]  # 404 for an account not ours: nothing is done


def run_bulk(managed):
    from tracker.web.auth import send_account_link

    form = BulkUsersForm()
    if not form.validate_on_submit():
        abort(400)
    users = _targets(form, managed)
    if not users:
        flash("请先勾选要操作的账号", "error")
        return redirect(url_for("admin.users"))
    action, now, done, refused = form.action.data, utcnow(), [], []
    for user in users:
        try:
            if action == "deactivate":
                accounts.set_active(db.session, user, actor=current_user, now=now, active=False)
            else:
                if action == "resend" and user.last_login_at is not None:
                    raise DomainError("已登录过，无需重发")
                send_account_link(user, purpose=AccountToken.INVITATION, actor=current_user, now=now)
            done.append(user.name)
        except DomainError as exc:
            refused.append(f"{user.name}：{exc}")
    db.session.commit()
    verb = ACTIONS[action]
    if done:
        flash(f"{verb}：已处理{len(done)}个账号（{'、'.join(done[:20])}{'等' if len(done) > 20 else ''}）"
              + ("，邀请邮件已放入发件箱" if action != "deactivate" else ""), "success")
    if refused:
        flash(f"{len(refused)}个账号未处理：" + "；".join(refused[:30]), "error")
    return redirect(request.referrer if _same_site(request.referrer) else url_for("admin.users"))


def _same_site(target: str | None) -> bool:
    from urllib.parse import urlsplit

    if not target:
        return False
    parts = urlsplit(target)
    return parts.netloc == request.host and parts.path.startswith("/admin/users")
