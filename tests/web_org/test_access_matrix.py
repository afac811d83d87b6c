"""Every route of the org, imports and ledger blueprints × every role."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.web_org.conftest import ROLES, login_role, today
from tests.webhelpers import (
    endpoint_of,
    is_login_redirect,
    routes_missing_from,
    token_for,
)
from tracker.models import AuditEvent, Task

OWN_BLUEPRINTS = ("org", "imports", "ledger")

OK = 200
ALLOWED_GET = {
    # route name → roles that get 200; every other logged-in role gets 404, anonymous goes to the login page
    "dashboard": {"org_dept"},
    "dashboard_review": {"org_dept"},
    "tasks": {"org_dept"},
    "escalated": {"org_dept", "discipline"},
    "task_escalated": {"org_dept", "discipline"},
    "task_plain": {"org_dept"},
    "units": {"org_dept", "admin"},
    "imports": {"org_dept"},
    "import_preview": set(),  # an unknown token is 404 for everyone
    "ledger_index": {"org_dept", "secretary_own", "secretary_other"},
    "ledger_download": {"org_dept", "secretary_own"},
    "ledger_print": {"org_dept", "secretary_own"},
    "export_tasks": {"org_dept"},
}


def get_url(name, w):
    return {
        "dashboard": "/org/",
        "dashboard_review": f"/org/?review={w.review.id}&sort=-rate",
        "tasks": "/org/tasks?overdue=1",
        "escalated": "/org/escalated",
        "task_escalated": f"/org/tasks/{w.overdue.id}",
        "task_plain": f"/org/tasks/{w.script.id}",
        "units": "/org/units",
        "imports": "/imports/",
        "import_preview": "/imports/" + "A" * 32,
        "ledger_index": "/ledger/",
        # review_a_only holds only unit A's tasks: the other unit's secretary may not download it
        "ledger_download": f"/ledger/download?review={w.review_a_only.id}",
        "ledger_print": f"/ledger/print?review={w.review_a_only.id}",
        "export_tasks": "/org/tasks/export?overdue=1",
    }[name]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", sorted(ALLOWED_GET))
def test_get_routes(client, world, role, route):
    login_role(client, world, role)
    response = client.get(get_url(route, world))
    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in ALLOWED_GET[route]:
        assert response.status_code == OK, response.get_data(as_text=True)[:500]
    else:
        assert response.status_code == 404


def post_case(name, w):
    """(url, data) of a valid request: allowed roles change something, the others must change nothing."""
    return {
        "deadline": (f"/org/tasks/{w.overdue.id}/deadline", {"deadline": (today() + timedelta(days=40)).isoformat()}),
        "verify": (f"/org/tasks/{w.awaiting.id}/verify", {"assessment": "好"}),
        "return": (f"/org/tasks/{w.awaiting.id}/return", {"reason": "佐证材料不足"}),
        "reopen": (f"/org/tasks/{w.closed.id}/reopen", {"reason": "回头看发现问题反弹"}),
        "owner": (f"/org/tasks/{w.awaiting.id}/owner", {"owner_id": str(w.users["deputy"].id),
                                                        "reason": "核对"}),
        "rename": (f"/org/units/{w.unit_a.id}/rename", {"name": "青山镇人民政府"}),
        "merge": (f"/org/units/{w.unit_b.id}/merge", {"target_id": str(w.unit_a.id)}),
        "import": ("/imports/", {}),
        "preview": ("/imports/" + "A" * 32, {"op": "save"}),
        "batch_deadline": ("/org/tasks/batch/deadline", {"task_id": str(w.overdue.id),
                                                          "deadline": (today() + timedelta(days=41)).isoformat()}),
        "batch_urge": ("/org/tasks/batch/urge", {"task_id": str(w.overdue.id)}),
    }[name]


POST_ALLOWED = {"deadline": {"org_dept"}, "verify": {"org_dept"}, "return": {"org_dept"}, "reopen": {"org_dept"},
                "owner": {"org_dept"},
                "rename": {"org_dept", "admin"}, "merge": {"org_dept", "admin"}, "import": {"org_dept"},
                "preview": set(),  # an unknown token is 404 for everyone
                "batch_deadline": {"org_dept"}, "batch_urge": {"org_dept"}}


def _audit_count(db):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(POST_ALLOWED))
def test_post_routes(client, db, world, role, action):
    login_role(client, world, role)
    url, data = post_case(action, world)
    token = token_for(client, logged_in=role != "anonymous")
    before = _audit_count(db)
    response = client.post(url, data={**data, "csrf_token": token})
    after = _audit_count(db)
    if role == "anonymous":
        assert is_login_redirect(response)
        assert after == before
    elif role in POST_ALLOWED[action]:
        if action != "import":
            assert response.status_code == 302, response.status_code
            assert after > before
        else:  # posting no file is refused with a message, beside the field
            assert response.status_code == 400, response.status_code
            assert "请选择要导入的点评文档" in response.get_data(as_text=True)
            assert after == before
    else:
        assert response.status_code == 404
        assert after == before


@pytest.mark.parametrize("role", ["org_dept", "secretary_own"])
def test_post_without_csrf_is_refused(client, db, world, role):
    """Refused for the missing token, before the view: the same post with a token is answered by the view."""
    login_role(client, world, role)
    before = _audit_count(db)
    url, data = f"/org/tasks/{world.awaiting.id}/verify", {"assessment": "好"}
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert "页面已过期或表单校验失败" in response.get_data(as_text=True)
    assert _audit_count(db) == before
    db.session.expire_all()
    assert db.session.get(Task, world.awaiting.id).status == "待销号审核"
    with_token = client.post(url, data={**data, "csrf_token": token_for(client, logged_in=True)})
    assert with_token.status_code == (302 if role == "org_dept" else 404)


def extension_url(w, ext_id):
    return f"/org/tasks/{w.overdue.id}/extensions/{ext_id}"


def test_the_matrix_covers_every_route_of_these_blueprints(app, world):
    covered = {(endpoint_of(app, get_url(name, world), "GET"), "GET") for name in ALLOWED_GET}
    covered |= {(endpoint_of(app, post_case(name, world)[0], "POST"), "POST") for name in POST_ALLOWED}
    covered.add((endpoint_of(app, extension_url(world, 1), "POST"), "POST"))  # test_decide_extension_matrix
    assert routes_missing_from(app, OWN_BLUEPRINTS, covered) == []


@pytest.mark.parametrize("role", ROLES)
def test_decide_extension_matrix(client, db, world, role):
    """The 延期 decision route, for each role, on a real pending request."""
    from tests.web_org.test_task_actions import make_extension
    from tracker.models import ExtensionRequest

    ext_id = make_extension(db, world)
    login_role(client, world, role)
    token = token_for(client, logged_in=role != "anonymous")
    response = client.post(extension_url(world, ext_id),
                           data={"decision": "refuse", "reason": "理由不充分", "csrf_token": token})
    db.session.expire_all()
    status = db.session.get(ExtensionRequest, ext_id).status
    if role == "anonymous":
        assert is_login_redirect(response)
    elif role == "org_dept":
        assert response.status_code == 302
    else:
        assert response.status_code == 404, role
    assert status == ("已驳回" if role == "org_dept" else "待审批")
