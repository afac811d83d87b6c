"""Every route of the main, auth, secretary and admin blueprints, as every role (and anonymous).

Roles: sec_a (secretary of the task's unit), sec_b (secretary of another unit), org (组织部), disc (纪委),
admin, anon. The task and file used belong to unit A; nothing here is escalated, so 纪委 sees nothing.
"""
from datetime import timedelta
from io import BytesIO

import pytest

from tests.webhelpers import ROLE_KEYS, client_as, is_login_redirect, routes_missing_from, tiny_png, token_for

OWN_BLUEPRINTS = ("main", "auth", "secretary", "admin")
ANY = {200, 302}  # "/" for org/disc: a redirect to web-B's page when deployed, else the plain home page

# name: (endpoint, method, url(world), data(world) or None, {role: status})
ROUTES = {
    "home": ("main.index", "GET", lambda w: "/", None,
             dict(sec_a=302, sec_b=302, org=ANY, disc=ANY, admin=302, anon=302)),
    "login_page": ("auth.login", "GET", lambda w: "/login", None,
                   dict(sec_a=302, sec_b=302, org=302, disc=302, admin=302, anon=200)),
    "login_post": ("auth.login", "POST", lambda w: "/login", lambda w: {"identifier": "x", "password": "y"},
                   dict(sec_a=302, sec_b=302, org=302, disc=302, admin=302, anon=400)),
    "forgot": ("auth.forgot_password", "GET", lambda w: "/forgot-password", None,
               dict(sec_a=200, sec_b=200, org=200, disc=200, admin=200, anon=200)),
    "forgot_post": ("auth.forgot_password", "POST", lambda w: "/forgot-password",
                    lambda w: {"identifier": "nobody"},
                    dict(sec_a=302, sec_b=302, org=302, disc=302, admin=302, anon=302)),
    "invitation": ("auth.accept_invitation", "GET", lambda w: "/invitation/not-a-token", None,
                   dict(sec_a=404, sec_b=404, org=404, disc=404, admin=404, anon=404)),
    "invitation_post": ("auth.accept_invitation", "POST", lambda w: "/invitation/not-a-token",
                        lambda w: {"password": "long-enough-1", "confirm": "long-enough-1"},
                        dict(sec_a=404, sec_b=404, org=404, disc=404, admin=404, anon=404)),
    "reset": ("auth.reset_password", "GET", lambda w: "/reset-password/not-a-token", None,
              dict(sec_a=404, sec_b=404, org=404, disc=404, admin=404, anon=404)),
    "reset_post": ("auth.reset_password", "POST", lambda w: "/reset-password/not-a-token",
                   lambda w: {"password": "long-enough-1", "confirm": "long-enough-1"},
                   dict(sec_a=404, sec_b=404, org=404, disc=404, admin=404, anon=404)),
    "change_password": ("auth.change_password", "GET", lambda w: "/account/password", None,
                        dict(sec_a=200, sec_b=200, org=200, disc=200, admin=200, anon=302)),
    "change_password_post": ("auth.change_password", "POST", lambda w: "/account/password",
                             lambda w: {"current": "wrong-one", "password": "long-enough-1",
                                        "confirm": "long-enough-1"},
                             dict(sec_a=400, sec_b=400, org=400, disc=400, admin=400, anon=302)),
    "my_tasks": ("secretary.tasks", "GET", lambda w: "/my/tasks", None,
                 dict(sec_a=200, sec_b=200, org=404, disc=404, admin=404, anon=302)),
    "task": ("secretary.task", "GET", lambda w: f"/tasks/{w.task_a.id}", None,
             dict(sec_a=200, sec_b=404, org=200, disc=404, admin=404, anon=302)),
    "plan": ("secretary.submit_plan", "POST", lambda w: f"/tasks/{w.task_a.id}/plan",
             lambda w: {"measures": "措施"},
             dict(sec_a=302, sec_b=404, org=302, disc=404, admin=404, anon=302)),
    "update": ("secretary.post_update", "POST", lambda w: f"/tasks/{w.task_a.id}/updates",
               lambda w: {"body": "进展", "files": [(BytesIO(tiny_png()), "p.png")]},
               dict(sec_a=302, sec_b=404, org=302, disc=404, admin=404, anon=302)),
    "extension": ("secretary.request_extension", "POST", lambda w: f"/tasks/{w.task_a.id}/extension",
                  lambda w: {"new_deadline": (w.task_a.deadline + timedelta(days=9)).isoformat(), "reason": "理由"},
                  dict(sec_a=302, sec_b=404, org=302, disc=404, admin=404, anon=302)),
    "closure": ("secretary.request_closure", "POST", lambda w: f"/tasks/{w.task_a.id}/closure",
                lambda w: {"summary": "已完成"},
                dict(sec_a=302, sec_b=404, org=302, disc=404, admin=404, anon=302)),
    # Nobody asked for a 情况说明 on this task: the secretary is told so (400); the rest do not see the route.
    "explanation": ("secretary.submit_explanation", "POST", lambda w: f"/tasks/{w.task_a.id}/explanation",
                    lambda w: {"explanation": "情况说明"},
                    dict(sec_a=400, sec_b=404, org=404, disc=404, admin=404, anon=302)),
    "evidence": ("secretary.evidence", "GET", lambda w: f"/evidence/{w.evidence['a'].id}", None,
                 dict(sec_a=200, sec_b=404, org=200, disc=404, admin=404, anon=302)),
    "users": ("admin.users", "GET", lambda w: "/admin/users", None,
              dict(sec_a=404, sec_b=404, org=200, disc=404, admin=200, anon=302)),
    "new_user": ("admin.new_user", "GET", lambda w: "/admin/users/new", None,
                 dict(sec_a=404, sec_b=404, org=200, disc=404, admin=200, anon=302)),
    "new_user_post": ("admin.new_user", "POST", lambda w: "/admin/users/new",
                      lambda w: {"username": "new-sec", "name": "新书记", "role": "secretary",
                                 "unit_id": str(w.unit_a.id), "email": ""},
                      dict(sec_a=404, sec_b=404, org=302, disc=404, admin=302, anon=302)),
    "edit_user": ("admin.edit_user", "GET", lambda w: f"/admin/users/{w.sec_a.id}/edit", None,
                  dict(sec_a=404, sec_b=404, org=200, disc=404, admin=200, anon=302)),
    "edit_colleague": ("admin.edit_user", "GET", lambda w: f"/admin/users/{w.disc.id}/edit", None,
                       dict(sec_a=404, sec_b=404, org=404, disc=404, admin=200, anon=302)),
    # The email stays: only an admin may change the email of an account that has a password.
    "edit_user_post": ("admin.edit_user", "POST", lambda w: f"/admin/users/{w.sec_a.id}/edit",
                       lambda w: {"username": "sec-a", "name": "甲书记", "role": "secretary",
                                  "unit_id": str(w.unit_a.id), "email": w.sec_a.email},
                       dict(sec_a=404, sec_b=404, org=302, disc=404, admin=302, anon=302)),
    "deactivate": ("admin.deactivate_user", "POST", lambda w: f"/admin/users/{w.sec_b.id}/deactivate",
                   lambda w: {}, dict(sec_a=404, sec_b=404, org=302, disc=404, admin=302, anon=302)),
    "activate": ("admin.activate_user", "POST", lambda w: f"/admin/users/{w.sec_b.id}/activate",
                 lambda w: {}, dict(sec_a=404, sec_b=404, org=302, disc=404, admin=302, anon=302)),
    "invite": ("admin.invite_user", "POST", lambda w: f"/admin/users/{w.sec_b.id}/invite",
               lambda w: {}, dict(sec_a=404, sec_b=404, org=302, disc=404, admin=302, anon=302)),
    "reset_link": ("admin.send_reset_link", "POST", lambda w: f"/admin/users/{w.sec_b.id}/reset-link",
                   lambda w: {}, dict(sec_a=404, sec_b=404, org=404, disc=404, admin=302, anon=302)),
    "bulk_users": ("admin.bulk_users", "POST", lambda w: "/admin/users/bulk",
                   lambda w: {"action": "invite", "user_ids": [str(w.sec_b.id)]},
                   dict(sec_a=404, sec_b=404, org=302, disc=404, admin=302, anon=302)),
    "logout": ("auth.logout", "POST", lambda w: "/logout", lambda w: {},
               dict(sec_a=302, sec_b=302, org=302, disc=302, admin=302, anon=302)),
}


def _request(client, world, role_key, route):
    _endpoint, method, url, data, _expected = ROUTES[route]
    if method == "GET":
        response = client.get(url(world))
    else:
        payload = data(world)
        payload["csrf_token"] = token_for(client, logged_in=role_key != "anon")
        response = client.post(url(world), data=payload, content_type="multipart/form-data")
    response.close()
    return response


@pytest.mark.parametrize("role_key", ROLE_KEYS)
def test_every_route_as_role(app, world, role_key):
    """One world per role, the routes in ROUTES order (their changes do not alter later answers; logout last)."""
    client = client_as(app, world, role_key)
    wrong = []
    for route, (_endpoint, _method, _url, _data, statuses) in ROUTES.items():
        response = _request(client, world, role_key, route)
        expected = statuses[role_key]
        allowed = expected if isinstance(expected, set) else {expected}
        if response.status_code not in allowed:
            wrong.append((route, response.status_code, expected))
        elif role_key == "anon" and response.status_code == 302 and route not in ("home", "forgot_post"):
            if not is_login_redirect(response):
                wrong.append((route, response.headers["Location"], "→ /login"))
    assert not wrong, f"{role_key}: (route, got, expected) {wrong}"


def test_the_matrix_covers_every_route_of_these_blueprints(app):
    covered = {(endpoint, method) for endpoint, method, *_ in ROUTES.values()}
    assert routes_missing_from(app, OWN_BLUEPRINTS, covered) == []


def test_posts_without_csrf_token_are_refused(app, world):
    client = client_as(app, world, "sec_a")
    for route, (_endpoint, method, url, data, _expected) in ROUTES.items():
        if method == "POST":
            response = client.post(url(world), data=data(world), content_type="multipart/form-data")
            assert response.status_code == 400, route
