"""A small world for the organization department's pages: two units, one user per role, tasks in every state."""
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

import pytest

from tests.factories import make_review, make_task, make_unit
from tests.webhelpers import login, quick_user
from tracker.models import Role, Task, TaskStatus, Unit, User
from tracker.models.types import utcnow
from tracker.timeutil import local_date

SCRIPT = "<script>alert('x')</script>"


def today():
    return local_date(utcnow(), "Asia/Shanghai")


@dataclass
class World:
    unit_a: Unit
    unit_b: Unit
    users: dict[str, User]
    review: object
    review_a_only: object
    awaiting: Task  # 待销号审核, unit A
    overdue: Task  # 整改中, overdue, 督办 (level 1), unit A
    script: Task  # unit B, <script> in the text
    closed: Task  # 已销号, unit B
    overall: Task  # 全县共性问题
    a_only: Task  # the one task of review_a_only

    def task_ids(self):
        return [self.awaiting.id, self.overdue.id, self.script.id, self.closed.id, self.overall.id, self.a_only.id]


ROLES = ["secretary_own", "secretary_other", "org_dept", "discipline", "admin", "anonymous"]


@pytest.fixture
def world(app, db) -> World:
    return build_world(db.session)


def build_world(s) -> World:
    """Commits: the test client and the live server read what it made."""
    unit_a = make_unit(s, "青山镇")
    unit_b = make_unit(s, f"绿水乡{SCRIPT}")
    users = {
        "secretary_own": quick_user(s, Role.SECRETARY, unit_a, username="sec-a", name="张书记"),
        "secretary_other": quick_user(s, Role.SECRETARY, unit_b, username="sec-b", name="李书记"),
        "org_dept": quick_user(s, Role.ORG_DEPT, username="zzb", name="王组织"),
        "discipline": quick_user(s, Role.DISCIPLINE, username="jw", name="赵纪检"),
        "admin": quick_user(s, Role.ADMIN, username="admin", name="管理员"),
        "deputy": quick_user(s, Role.SECRETARY, unit_a, username="sec-a2", name="孙书记"),
    }
    d = today()
    review = make_review(s, title=f"2026年度述职评议会议{SCRIPT}")
    sec_a, sec_b = users["secretary_own"], users["secretary_other"]
    awaiting = make_task(s, unit_a, sec_a, review, deadline=d + timedelta(days=10), text="问题一：党建亮点不突出",
                         status=TaskStatus.AWAITING_VERIFICATION)
    overdue = make_task(s, unit_a, sec_a, review, deadline=d - timedelta(days=5), text="问题二：集体经济薄弱",
                        status=TaskStatus.IN_PROGRESS)
    overdue.escalation_level = 1
    script = make_task(s, unit_b, sec_b, review, deadline=d + timedelta(days=3), text=f"问题三{SCRIPT}")
    closed = make_task(s, unit_b, sec_b, review, deadline=d + timedelta(days=30), text="问题四：已经整改",
                       status=TaskStatus.CLOSED)
    closed.closed_at = datetime.combine(d - timedelta(days=2), time(2), tzinfo=timezone.utc)
    closed.assessment = "好"
    overall = make_task(s, unit_a, None, review, deadline=d + timedelta(days=60), text="全县共性问题：软弱涣散")
    overall.unit_id, overall.is_overall, overall.comment_id = None, True, None
    review_a_only = make_review(s, title="2025年度述职评议会议")
    a_only = make_task(s, unit_a, sec_a, review_a_only, deadline=d + timedelta(days=20), text="上一年的问题")
    s.commit()
    return World(unit_a, unit_b, users, review, review_a_only, awaiting, overdue, script, closed, overall, a_only)


def login_role(client, world: World, role: str) -> None:
    if role != "anonymous":
        login(client, world.users[role].username)
