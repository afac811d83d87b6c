"""Reach: which channels get a notice to a person, and what happens when none does.

A person is reached by email (an active account with an address), by their unit's group robot, and in
the app when they can log in (an active account with a password). A notice whose main recipient (the
task's owner) has none of these is marked 无法送达 with the reason and, in the same transaction, put on
the organization department's 待电话转达 list: it is never lost in silence.
"""
from dataclasses import dataclass

from sqlalchemy import func, select

from tracker.models.notify import Notice, PhoneRelay

EMAIL, ROBOT, IN_APP = "邮件", "群机器人", "站内通知（可登录）"
INACTIVE, NO_EMAIL, NO_LOGIN = "已停用", "无邮箱", "未激活账号"


@dataclass
class Reach:
    channels: list[str]
    missing: list[str]  # what is missing, in the users' words (无邮箱, 未激活账号, 已停用)

    @property
    def reached(self) -> bool:
        return bool(self.channels)

    @property
    def reason(self) -> str:
        return "、".join(self.missing)


def unit_has_robot(unit) -> bool:
    return unit is not None and bool((unit.robot_url or "").strip()) and unit.merged_into_id is None


def reach_of(user, unit=None) -> Reach:
    """The channels that reach `user` for a notice of `unit` (their own unit when None)."""
    if not user.active:
        return Reach([], [INACTIVE])  # nobody reads a deactivated account, whatever it still has
    unit = unit if unit is not None else user.unit
    channels, missing = [], []
    if user.email:
        channels.append(EMAIL)
    else:
        missing.append(NO_EMAIL)
    if unit_has_robot(unit) and (user.unit_id is None or unit.id == user.unit_id):
        channels.append(ROBOT)
    if user.password_hash:
        channels.append(IN_APP)
    else:
        missing.append(NO_LOGIN)
    return Reach(channels, missing)


def record_unreached(session, *, user, notice: Notice | None, key: str, title: str, body: str, task_id, unit_id,
                     reach: Reach, now) -> PhoneRelay:
    """Marks the notice 无法送达 and puts it on the 待电话转达 list, in the caller's transaction."""
    reason = reach.reason
    if notice is not None:
        notice.reach = unreached_text(reach)
    relay = PhoneRelay(key=key, user_id=user.id, task_id=task_id, unit_id=unit_id, phone=user.phone,
                       reason=reason[:100], title=title[:300], body=body or "", created_at=now, call_note="")
    session.add(relay)
    return relay


def unreached_text(reach: Reach) -> str:
    """What the in-app notice says of a person nothing reaches."""
    return f"无法送达：{reach.reason}"[:100]


def open_relays_count(session) -> int:
    """How many people are waiting for a phone call (the 工作台's "N名责任人无法送达")."""
    return session.scalar(select(func.count(func.distinct(PhoneRelay.user_id))).where(PhoneRelay.called_at.is_(None)))


def unreached_between(session, start, end) -> int:
    """Notices that no channel delivered, written in [start, end) (the weekly 周报's count)."""
    return session.scalar(select(func.count()).select_from(PhoneRelay)
                          .where(PhoneRelay.created_at >= start, PhoneRelay.created_at < end))
