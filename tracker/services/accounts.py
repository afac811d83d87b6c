"""Accounts: creating users and hashing passwords (scrypt, through Werkzeug)."""
import re
from datetime import datetime

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.models import Role, Unit, User
from tracker.services import audit
from tracker.services.errors import DomainError

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


def create_user(session, *, username: str, name: str, role: str, email: str | None, unit: Unit | None,
                password: str | None, actor: User | None, now: datetime) -> User:
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
    user = User(username=username, name=name, role=role, email=email, unit_id=unit.id if unit else None,
                password_hash=hash_password(password) if password else None, created_at=now)
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, now=now, action="create_user", entity=user, after=username, note=role)
    return user
