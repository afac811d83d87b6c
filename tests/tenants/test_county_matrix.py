"""Isolation across counties, walked like unit isolation: the security matrix's world is one county (the
install's default, its 组织部 and 纪委 attached to it); a second county gets its own 组织部 and 纪委. Every URL
of the matrix that names unit A's records (takes_a_id) must answer the other county's accounts 404 and write
nothing — the 组织部 of one county is to another county what unit B's secretary is to unit A.
"""
import pytest

from tests.security import snapshot
from tests.security.expected import CASES, cases_in_walk_order
from tests.security.test_role_matrix import _describe, _send
from tests.security.world import build_world
from tests.webhelpers import login, quick_user
from tracker.models import Organization, OrgLevel, Role

OTHER_ROLES = {"org_w": Role.ORG_DEPT, "disc_w": Role.DISCIPLINE}

# Cases naming the first county's records that are not marked takes_a_id (only 组织部 may use them at all).
ALSO_NAMING_RECORDS = {"task_overall", "go_task_overall", "robot_page", "robot_save", "phone_called", "rename",
                       "merge"}




@pytest.fixture
def world(app, db):
    world = build_world(app, db.session)
    west = Organization(name="西河县", level=OrgLevel.COUNTY)
    db.session.add(west)
    db.session.flush()
    for key, role in OTHER_ROLES.items():
        user = quick_user(db.session, role, username=key.replace("_", "-"), name=f"西河县{key}")
        user.organization_id = west.id
        world.users[key] = user
    db.session.commit()
    return world


def _a_cases():
    return [c for c in cases_in_walk_order() if c.takes_a_id or c.name in ALSO_NAMING_RECORDS]


def test_the_matrix_names_records_of_every_kind():
    """The walk below covers tasks, files, proposals, reviews (ledger), accounts and units."""
    endpoints = {c.endpoint for c in CASES if c.takes_a_id}
    for needed in ("secretary.task", "secretary.evidence", "org.task", "proposals.proposal",
                   "ledger.download", "admin.edit_user"):
        assert needed in endpoints, needed


@pytest.mark.parametrize("role", sorted(OTHER_ROLES))
def test_another_countys_records_answer_404(app, world, role):
    client = app.test_client()
    login(client, world.users[role].username)
    problems = []
    for case in _a_cases():
        problems.extend(_refused(app, world, client, role, case))
    assert not problems, f"{len(problems)} answer(s) as {role} of another county:\n  " + "\n  ".join(problems)


def _refused(app, world, client, role, case) -> list[str]:
    before = snapshot.take(app)
    response = _send(app, world, client, role, case)
    where = f"{case.name}: {case.method} {case.url(world)}"
    problems = []
    if response.status_code != 404:
        problems.append(f"{where} answered {_describe(response)}, expected 404")
    changes = snapshot.take(app).changes_since(before)
    if changes:
        problems.append(f"{where} wrote: {'; '.join(changes)}")
    return problems
