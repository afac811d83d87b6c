"""Two units, one user of every role, overdue tasks in unit A, and proposals made the way the scan makes them."""
from dataclasses import dataclass
from datetime import timedelta

import pytest

from tests.factories import make_review, make_task, make_unit, make_user
from tests.webhelpers import login
from tracker.extensions import db as _db
from tracker.models import EscalationLevel, Role, Task, Unit, User
from tracker.models.types import utcnow
from tracker.proposals import service as service
from tracker.timeutil import local_date

SCRIPT = "<script>alert('x')</script>"
ROLES = ["secretary_own", "secretary_other", "org_dept", "discipline", "admin", "anonymous"]
RULES = {"level2_after_workdays": 10, "level3_after_workdays": 20, "unit_overdue_threshold": 3}


@dataclass
class World:
    unit_a: Unit
    unit_b: Unit
    users: dict[str, User]
    late: Task  # unit A, 30 days overdue, level 2, with a 约谈 proposal
    very_late: Task  # unit A, 45 days overdue, level 3, with a 通报 proposal
    script_task: Task  # unit A, <script> in its text, 12 days overdue
    talk: object  # Proposal 约谈 for `late`
    circular: object  # Proposal 通报 for `very_late`
    unit_talk: object  # Proposal 约谈 for unit A
    today: object
    proposed_at: object


@pytest.fixture
def world(app, db) -> World:
    session = db.session
    now = utcnow()
    today = local_date(now, app.config["TIMEZONE"])
    unit_a = make_unit(session, "青山镇")
    unit_b = make_unit(session, "绿水乡")
    users = {
        "secretary_own": make_user(session, Role.SECRETARY, unit_a, username="sec-a", name="甲书记"),
        "secretary_other": make_user(session, Role.SECRETARY, unit_b, username="sec-b", name="乙书记"),
        "org_dept": make_user(session, Role.ORG_DEPT, username="zzb", name="王组织", email="zzb@example.test"),
        "discipline": make_user(session, Role.DISCIPLINE, username="jw", name="李纪检", email="jw@example.test"),
        "admin": make_user(session, Role.ADMIN, username="admin", name="管理员"),
    }
    review = make_review(session)
    owner = users["secretary_own"]
    late = make_task(session, unit_a, owner, review, deadline=today - timedelta(days=30), text="党建引领基层治理不够有力",
                     rules=RULES)
    very_late = make_task(session, unit_a, owner, review, deadline=today - timedelta(days=45),
                          text="村级集体经济薄弱", rules=RULES)
    script_task = make_task(session, unit_a, owner, review, deadline=today - timedelta(days=12), text=SCRIPT,
                            rules=RULES)
    late.escalation_level = EscalationLevel.TALK
    very_late.escalation_level = EscalationLevel.CIRCULAR
    script_task.escalation_level = EscalationLevel.SUPERVISION
    proposed_at = now - timedelta(days=3)
    talk = service.propose_for_task(session, late, 2, proposed_at)
    circular = service.propose_for_task(session, very_late, 3, proposed_at)
    unit_talk = service.propose_for_unit(session, unit_a, [late, very_late, script_task], proposed_at)
    session.commit()
    return World(unit_a, unit_b, users, late, very_late, script_task, talk, circular, unit_talk, today, proposed_at)


def client_for(app, world: World, role: str):
    client = app.test_client()
    if role != "anonymous":
        _db.session.commit()
        login(client, world.users[role].username)
    return client
