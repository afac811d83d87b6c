"""Accounts: users, passwords (scrypt, through Werkzeug), login (throttled: see throttle.py), invitations
and resets."""
import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.models import Role, Unit, User
from tracker.models.accounts import AccountToken, LoginThrottle
from tracker.models.tenants import Organization, ensure_default_county
from tracker.services import access, audit, throttle
from tracker.services.throttle import ThrottleRules  # noqa: F401  (views use accounts.ThrottleRules)
from tracker.services.errors import DomainError, PermissionDenied

MIN_PASSWORD_LENGTH = 8
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def verify_password(user: User, password: str) -> bool:
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


def check_password_strength(password: str | None) -> None:
    if not password or len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(f"密码至少 {MIN_PASSWORD_LENGTH} 位")


def normalise_email(email: str | None) -> str | None:
    email = (email or "").strip().lower()
    if not email:
        return None
    if not EMAIL_RE.match(email):
        raise DomainError(f"邮箱格式不正确：{email}")
    return email


ORG_ATTACHED_ROLES = frozenset({Role.ORG_DEPT, Role.DISCIPLINE, Role.ADMIN})


def _check_placement(session, actor: User | None, role: str, unit: Unit | None,
                     organization: Organization | None) -> None:
    """A unit and an organization the actor covers: a county's manager cannot place anyone in another county."""
    if unit is not None and actor is not None and not access.can_view_unit(actor, unit):
        raise PermissionDenied("无权在该责任单位下设置账号")
    if organization is None:
        if actor is not None and actor.organization_id is not None and role in ORG_ATTACHED_ROLES:
            # An account with no organization sees every county: only an install-wide manager makes one.
            raise PermissionDenied("请选择所属组织部门")
        return
    if role not in ORG_ATTACHED_ROLES:
        raise DomainError("只有组织部、纪委和管理员账号归属组织部门")
    if actor is not None and actor.organization_id is not None:
        if not access.covers_county(actor, organization.id, session):  # any node of the actor's subtree
            raise PermissionDenied("无权在该组织部门下设置账号")


def create_user(session, *, username: str, name: str, role: str, email: str | None, unit: Unit | None,
                password: str | None, actor: User | None, now: datetime,
                organization: Organization | None = None) -> User:
    """`organization`: the 组织部 node a 组织部/纪委 account works for; None is the whole install."""
    # The first account of an install is made here (`tracker create-user`): so is its county.
    ensure_default_county(session, now=now)
    username = (username or "").strip()
    name = (name or "").strip()
    if not username or not name:
        raise DomainError("用户名和姓名不能为空")
    if role not in set(Role):
        raise DomainError(f"未知角色：{role}")
    if role == Role.SECRETARY and unit is None:
        raise DomainError("书记账号必须指定责任单位")
    email = normalise_email(email)
    if session.scalar(select(func.count()).select_from(User).where(User.username == username)):
        raise DomainError(f"用户名“{username}”已被使用")
    if email and session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise DomainError(f"邮箱“{email}”已被使用")
    if password is not None:
        check_password_strength(password)
    _check_placement(session, actor, role, unit, organization)
    user = User(username=username, name=name, role=role, email=email, unit_id=unit.id if unit else None,
                organization_id=organization.id if organization else None,
                password_hash=hash_password(password) if password else None, created_at=now)
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, now=now, action="create_user", entity=user, after=username, note=role)
    return user


# --- Login, with failure counters kept in the database --------------------------------------------

class InvalidLogin(DomainError):
    pass


class LoginLocked(DomainError):
    pass


INVALID_LOGIN_MESSAGE = "用户名（或邮箱）或密码错误"


def find_login_user(session, identifier: str) -> User | None:
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    return session.scalar(
        select(User).where(or_(User.username == identifier, User.email == identifier.lower())).limit(1)
    )


def authenticate(session, *, identifier: str, password: str, ip: str | None, now: datetime,
                 rules: ThrottleRules) -> User:
    """The user for this name (or email) and password, or InvalidLogin / LoginLocked.

    Failures are counted even when they raise: the caller commits in both cases. A locked address is
    refused even with the right password: otherwise guessing would simply go on from that address.
    """
    throttle.forget_old_failures(session, now, rules.lock)
    user = find_login_user(session, identifier)
    (_, account_key, _), (_, ip_key, _) = keys = throttle.throttle_keys(user, identifier, ip)
    ip_until = throttle.locked_until(session, "ip", ip_key, now)
    if ip_until is not None:
        raise LoginLocked(rules.address_locked_message(ip_until))
    if throttle.locked_until(session, "account", account_key, now) is not None:
        raise LoginLocked(rules.locked_message())
    if user is None:
        throttle.spend_password_check(password)
        ok = False
    else:
        ok = verify_password(user, password or "")
    if not ok:
        locked = {scope: throttle.count_failure(session, scope, key, now=now, limit=getattr(rules, limit), lock=rules.lock)
                  for scope, key, limit in keys}
        if locked["ip"]:
            raise LoginLocked(rules.address_locked_message(now + rules.lock))
        if locked["account"]:
            raise LoginLocked(rules.locked_message())
        raise InvalidLogin(INVALID_LOGIN_MESSAGE)
    if not user.active:
        raise InvalidLogin("该账号已停用，请联系系统管理员")
    # A proven password starts this account's count again (the address keeps its count: one valid
    # account must not let its holder reset the counter between guesses at others).
    session.execute(delete(LoginThrottle).where(LoginThrottle.scope == "account", LoginThrottle.key == account_key))
    return user


def end_sessions(session, user: User, *, actor: User | None, now: datetime, action: str = "logout") -> None:
    """Bumps session_version: every cookie issued before (copied or not) stops working."""
    user.session_version = (user.session_version or 1) + 1
    audit.record(session, actor=actor, now=now, action=action, entity=user)


# --- One-time links: invitations and password resets ------------------------------------------------

def _token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _new_raw_token() -> tuple[str, str]:
    raw = secrets.token_urlsafe(32)
    return raw, _token_digest(raw)


def _revoke_links(session, user_id: int, *, now: datetime, purpose: str | None = None) -> int:
    """Ends the user's unused links (of one purpose, or all); returns how many could still be used."""
    query = update(AccountToken).where(AccountToken.user_id == user_id, AccountToken.used_at.is_(None),
                                       AccountToken.expires_at > now)
    if purpose is not None:
        query = query.where(AccountToken.purpose == purpose)
    return session.execute(query.values(used_at=now).execution_options(synchronize_session=False)).rowcount


def _check_link_allowed(user: User, purpose: str, actor: User | None) -> None:
    if not user.active:
        raise DomainError("该账号已停用，不能发送链接")
    if purpose == AccountToken.INVITATION:
        if not user.email:
            raise DomainError("请先为该用户填写邮箱，再发送邀请")
        if user.password_hash:
            # Else whoever may edit the email could redirect the invitation to themselves and take over.
            raise DomainError("该用户已设置密码，不能再发送邀请；如忘记密码，请本人使用“忘记密码”，"
                              "或由系统管理员发送重置密码链接")
    elif actor is not None:  # a reset sent by an administrator (actor None: the user's own 忘记密码)
        if actor.role != Role.ADMIN:
            raise PermissionDenied("仅系统管理员可以发送重置密码链接")
        if not user.password_hash:
            raise DomainError("该用户尚未设置密码，请发送邀请邮件")
        if not user.email:
            raise DomainError("该用户没有登记邮箱，无法发送重置密码链接")


def issue_token(session, user: User, *, purpose: str, actor: User | None, now: datetime,
                hours: int) -> tuple[AccountToken, str]:
    """A new link for `user`; earlier unused links of the same purpose stop working. Returns (row, raw)."""
    _check_link_allowed(user, purpose, actor)
    _revoke_links(session, user.id, now=now, purpose=purpose)
    raw, digest = _new_raw_token()
    token = AccountToken(user_id=user.id, purpose=purpose, token_hash=digest, created_at=now,
                         expires_at=now + timedelta(hours=hours), created_by_id=actor.id if actor else None)
    session.add(token)
    session.flush()
    audit.record(session, actor=actor, now=now, action=f"issue_{purpose}", entity=user,
                 note=f"有效期{hours}小时")
    return token, raw


RESET_INTERVAL = timedelta(minutes=10)  # at most one 忘记密码 mail per user in this time


def reset_recipient(session, identifier: str, *, ip: str | None, now: datetime, rules: ThrottleRules) -> User | None:
    """忘记密码: the user to mail a reset link to now, or None (unknown, no email, sent recently, or too many
    requests from this address).

    Runs the same queries and the same hashing whatever the answer, so the time taken does not tell
    whether the account exists; the caller shows one message either way.
    """
    throttle.forget_old_failures(session, now, max(rules.lock, RESET_INTERVAL))
    user = find_login_user(session, identifier)
    recent = session.scalar(
        select(func.count()).select_from(AccountToken)
        .where(AccountToken.user_id == (user.id if user is not None else -1),
               AccountToken.purpose == AccountToken.PASSWORD_RESET, AccountToken.created_at > now - RESET_INTERVAL)
    )
    ip_key = (ip or "unknown")[:100]
    address_locked = throttle.locked_until(session, "reset", ip_key, now) is not None
    throttle.count_failure(session, "reset", ip_key, now=now, limit=rules.max_ip_failures, lock=RESET_INTERVAL)
    if user is None or not user.active or not user.email or recent or address_locked:
        # What issue_token spends on a real link: its UPDATE and the token's hashing.
        _revoke_links(session, -1, now=now, purpose=AccountToken.PASSWORD_RESET)
        _new_raw_token()
        return None
    return user


def find_token(session, raw: str | None, *, purpose: str, now: datetime) -> AccountToken | None:
    """The usable token for this link, or None (unknown, used, expired, or its user deactivated)."""
    if not raw or len(raw) > 200:
        return None
    token = session.scalar(select(AccountToken).where(AccountToken.token_hash == _token_digest(raw),
                                                      AccountToken.purpose == purpose))
    if token is None or not token.usable(now) or not token.user.active:
        return None
    return token


def set_password_with_token(session, raw: str, *, purpose: str, password: str, now: datetime,
                            username: str | None = None) -> User:
    token = find_token(session, raw, purpose=purpose, now=now)
    if token is None:
        raise DomainError("链接无效或已过期，请联系县委组织部或系统管理员重新发送")
    user = token.user
    check_password_strength(password)
    username = (username or "").strip()
    if username and user.username is None:
        _check_username_free(session, username, user)
        audit.change(session, actor=user, now=now, entity=user, field="username", value=username)
    token.used_at = now
    user.password_hash = hash_password(password)
    end_sessions(session, user, actor=user, now=now, action=f"set_password_{purpose}")
    return user


def change_password(session, user: User, *, current: str, new: str, now: datetime) -> None:
    if not verify_password(user, current or ""):
        raise DomainError("当前密码不正确")
    check_password_strength(new)
    user.password_hash = hash_password(new)
    end_sessions(session, user, actor=user, now=now, action="change_password")


# --- User administration ----------------------------------------------------------------------------

def can_manage_user(actor: User, target: User | None = None, role: str | None = None) -> bool:
    """Admins manage everyone; the organization department manages secretaries only, of its counties."""
    if actor.role == Role.ADMIN:
        return target is None or _covers_user(actor, target)
    if actor.role != Role.ORG_DEPT:
        return False
    roles = {r for r in (role, target.role if target is not None else None) if r is not None}
    return roles <= {Role.SECRETARY} and (target is None or _covers_user(actor, target))


def _covers_user(actor: User, target: User) -> bool:
    if actor.organization_id is None:
        return True
    if target.unit is not None:
        return access.can_view_unit(actor, target.unit)
    if target.organization_id is None:
        return False  # an install-wide account: only install-wide admins manage it
    return target.organization_id == actor.organization_id or access.covers_county(actor, target.organization_id)


def _check_username_free(session, username: str, user: User | None) -> None:
    query = select(func.count()).select_from(User).where(User.username == username)
    if user is not None and user.id is not None:
        query = query.where(User.id != user.id)
    if session.scalar(query):
        raise DomainError(f"用户名“{username}”已被使用")


_KEEP = object()


def update_user(session, user: User, *, actor: User, now: datetime, name: str, role: str,
                email: str | None, unit: Unit | None, username: str | None = None,
                organization=_KEEP) -> User:
    """`organization`: an Organization, None (the whole install), or left out to keep it."""
    if not can_manage_user(actor, user, role):
        raise PermissionDenied("无权修改该用户")
    if organization is not _KEEP:
        _check_placement(session, actor, role, None, organization)
    name = (name or "").strip()
    if not name:
        raise DomainError("姓名不能为空")
    if role not in set(Role):
        raise DomainError(f"未知角色：{role}")
    if role == Role.SECRETARY and unit is None:
        raise DomainError("书记账号必须指定责任单位")
    if user.id == actor.id and role != user.role:
        raise DomainError("不能修改自己的角色")
    email = normalise_email(email)
    email_changes = email != user.email
    if email_changes and user.password_hash and actor.role != Role.ADMIN:
        # The email is where reset links go: changing it for someone with a password hands over the account.
        raise DomainError("该用户已设置密码，只有系统管理员可以修改其邮箱")
    if email and session.scalar(select(func.count()).select_from(User)
                                .where(User.email == email, User.id != user.id)):
        raise DomainError(f"邮箱“{email}”已被使用")
    username = (username or "").strip() or None
    if username:
        _check_username_free(session, username, user)
    elif user.username:
        username = user.username  # a login name, once given, is never taken away here
    if unit is not None and unit.id != user.unit_id:
        _check_placement(session, actor, role, unit, None)
    changes = [("name", name), ("role", role), ("email", email), ("unit_id", unit.id if unit else None),
               ("username", username)]
    if organization is not _KEEP:
        changes.append(("organization_id", organization.id if organization else None))
    for field, value in changes:
        audit.change(session, actor=actor, now=now, entity=user, field=field, value=value)
    if email_changes:
        # Links already mailed to the old address must not keep working.
        revoked = _revoke_links(session, user.id, now=now)
        if revoked:
            audit.record(session, actor=actor, now=now, action="revoke_account_links", entity=user,
                         note=f"邮箱变更，{revoked}个未使用的邀请或重置密码链接已失效")
    return user


def set_active(session, user: User, *, actor: User, now: datetime, active: bool) -> User:
    if not can_manage_user(actor, user):
        raise PermissionDenied("无权修改该用户")
    if user.id == actor.id and not active:
        raise DomainError("不能停用自己的账号")
    if audit.change(session, actor=actor, now=now, entity=user, field="active", value=active,
                    action="activate" if active else "deactivate") and not active:
        user.session_version = (user.session_version or 1) + 1  # a deactivated user is logged out at once
    return user
