"""登录、退出、邀请链接设置密码、忘记密码、修改密码."""
import logging
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from tracker.extensions import db
from tracker.models.accounts import AccountToken
from tracker.models.types import utcnow
from tracker.services import accounts
from tracker.services.errors import DomainError
from tracker.web.forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, SetPasswordForm
from tracker.settings import settings

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: an open redirect would let a phishing link borrow our login page."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _start_session(user) -> None:
    """Logs the user in with a cookie that expires (PERMANENT_SESSION_LIFETIME), not at browser close:
    a browser left open on a shared office PC must not stay logged in for ever."""
    session.permanent = True
    login_user(user)
    user.last_login_at = utcnow()  # the users page's 最后登录 and its filter 从未登录
    db.session.commit()


@bp.route("/login", methods=["GET", "POST"])
def login():
    # The client address is request.remote_addr only, never a header the client can write; behind a
    # reverse proxy, create_app's ProxyFix (PROXY_FIX_X_FOR) makes remote_addr the real client's.
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        rules = accounts.ThrottleRules.from_settings(settings())
        try:
            user = accounts.authenticate(db.session, identifier=form.identifier.data, password=form.password.data,
                                         ip=request.remote_addr, now=utcnow(), rules=rules)
        except DomainError as exc:
            db.session.commit()  # the failure counters must persist
            log.info("login refused for %r from %s", form.identifier.data, request.remote_addr)
            error = str(exc)
        else:
            db.session.commit()
            _start_session(user)
            log.info("login: user %s from %s", user.id, request.remote_addr)
            return redirect(_safe_next(request.args.get("next")) or url_for("main.index"))
    status = 200 if error is None and not form.errors else 400
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    accounts.end_sessions(db.session, current_user, actor=current_user, now=utcnow())
    db.session.commit()
    logout_user()
    flash("已安全退出", "success")
    return redirect(url_for("auth.login"))


def _token_page(purpose: str, token: str, template: str):
    now = utcnow()
    record = accounts.find_token(db.session, token, purpose=purpose, now=now)
    if record is None:
        return render_template("auth/link_invalid.html"), 404
    form = SetPasswordForm()
    needs_username = record.user.username is None
    if not needs_username:
        del form.username
    error = None
    if form.validate_on_submit():
        try:
            user = accounts.set_password_with_token(
                db.session, token, purpose=purpose, password=form.password.data, now=now,
                username=form.username.data if needs_username else None)
        except DomainError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            logout_user()
            _start_session(user)
            flash("密码已设置，欢迎使用整改督办台账", "success")
            return redirect(url_for("main.index"))
    status = 200 if error is None and not form.errors else 400
    return render_template(template, form=form, user=record.user, error=error), status


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    return _token_page(AccountToken.INVITATION, token, "auth/accept_invitation.html")


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    return _token_page(AccountToken.PASSWORD_RESET, token, "auth/reset_password.html")


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        now = utcnow()
        rules = accounts.ThrottleRules.from_settings(settings())
        user = accounts.reset_recipient(db.session, form.identifier.data, ip=request.remote_addr, now=now,
                                        rules=rules)
        if user is not None:
            send_account_link(user, purpose=AccountToken.PASSWORD_RESET, actor=None, now=now)
        else:
            _render_link_mail(None, purpose=AccountToken.PASSWORD_RESET, actor=None, raw="-", expires_at=now)
        db.session.commit()
        # The same answer, and about the same work, whether or not the account exists.
        flash("如果该账号存在且登记了邮箱，重置密码的链接已发送到该邮箱，请查收", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form), 400 if form.errors else 200


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            accounts.change_password(db.session, current_user, current=form.current.data, new=form.password.data,
                                     now=utcnow())
        except DomainError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            # Re-issued with the new session_version: this browser stays logged in, the others do not.
            _start_session(current_user._get_current_object())
            flash("密码已修改，其他设备上的登录已失效", "success")
            return redirect(url_for("main.index"))
    status = 200 if error is None and not form.errors else 400
    return render_template("auth/change_password.html", form=form, error=error), status


def link_hours(purpose: str) -> int:
    """How long a link stays valid: a reset link briefly (it opens an existing account), an invitation longer."""
    if purpose == AccountToken.PASSWORD_RESET:
        return settings().login.reset_token_hours
    return settings().login.invitation_hours


def _render_link_mail(user, *, purpose: str, actor, raw: str, expires_at, key: str = "account-token:-"):
    """The outbox draft of a link mail. Both purposes share templates/email/invitation.*, which words
    itself by context["purpose"]. With user None it renders a stand-in, so that 忘记密码 for an unknown
    name costs the same time as for a known one."""
    from tracker.mail.outbox import draft_email

    endpoint = "auth.accept_invitation" if purpose == AccountToken.INVITATION else "auth.reset_password"
    link = settings().base_url + url_for(endpoint, token=raw)
    subject = "整改督办台账：账号邀请" if purpose == AccountToken.INVITATION else "整改督办台账：重置密码"
    context = {"subject": subject, "user_name": user.name if user else "", "link": link,
               "hours": link_hours(purpose), "expires_at": expires_at,
               "username": user.username if user else None, "email": user.email if user else "",
               "purpose": purpose, "inviter_name": actor.name if actor is not None else ""}
    return draft_email(key=key, kind=f"account_{purpose}", template="invitation", context=context,
                       to_addresses=(user.email,) if user else ())


def send_account_link(user, *, purpose: str, actor, now=None):
    """Issues a one-time link and puts the email in the outbox, in the caller's transaction."""
    from tracker.mail.outbox import store_draft

    now = now or utcnow()
    token, raw = accounts.issue_token(db.session, user, purpose=purpose, actor=actor, now=now,
                                      hours=link_hours(purpose))
    draft = _render_link_mail(user, purpose=purpose, actor=actor, raw=raw, expires_at=token.expires_at,
                              key=f"account-token:{token.id}")
    return store_draft(db.session, draft, now)
