"""用户管理: admins manage everyone, the organization department secretaries only; every change audited."""
from sqlalchemy import select

from tests.webhelpers import client_as, login, post_form
from tracker.models import AuditEvent, Role, User


def _form(user, **changes):
    data = {"username": user.username or "", "name": user.name, "role": user.role,
            "unit_id": str(user.unit_id or 0), "email": user.email or ""}
    data.update(changes)
    return data


def test_admin_lists_all_users_and_org_dept_only_secretaries(app, world):
    admin_page = client_as(app, world, "admin").get("/admin/users").get_data(as_text=True)
    for name in ("甲书记", "乙书记", "王组织", "李纪检", "管理员"):
        assert name in admin_page
    org_page = client_as(app, world, "org").get("/admin/users").get_data(as_text=True)
    assert "甲书记" in org_page and "乙书记" in org_page
    assert "李纪检" not in org_page and "管理员" not in org_page


def test_admin_creates_a_user_with_audit(app, db, world):
    client = client_as(app, world, "admin")
    response = post_form(client, "/admin/users/new",
                         {"username": "new-jw", "name": "新纪检", "role": "discipline", "unit_id": "0",
                          "email": "New@Example.test"}, form_url="/admin/users/new")
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "new-jw"))
    assert user.role == Role.DISCIPLINE and user.email == "new@example.test" and user.password_hash is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "create_user",
                                                       AuditEvent.entity_id == user.id))
    assert event.actor_id == world.admin.id


def test_create_user_errors_are_shown_and_nothing_is_written(app, db, world):
    client = client_as(app, world, "admin")
    before = db.session.scalar(select(User.id).order_by(User.id.desc()))
    taken = post_form(client, "/admin/users/new", {"username": "sec-a", "name": "重名", "role": "admin",
                                                   "unit_id": "0"}, form_url="/admin/users/new")
    assert taken.status_code == 400 and "用户名“sec-a”已被使用" in taken.get_data(as_text=True)
    no_unit = post_form(client, "/admin/users/new", {"username": "s9", "name": "书记", "role": "secretary",
                                                     "unit_id": "0"}, form_url="/admin/users/new")
    assert "书记账号必须指定责任单位" in no_unit.get_data(as_text=True)
    no_name = post_form(client, "/admin/users/new", {"username": "s9", "name": "", "role": "admin",
                                                     "unit_id": "0"}, form_url="/admin/users/new")
    assert no_name.status_code == 400 and "此项为必填项" in no_name.get_data(as_text=True)
    bad_mail = post_form(client, "/admin/users/new", {"username": "s9", "name": "某", "role": "admin",
                                                      "unit_id": "0", "email": "not-an-address"},
                         form_url="/admin/users/new")
    assert "邮箱格式不正确" in bad_mail.get_data(as_text=True)
    assert db.session.scalar(select(User.id).order_by(User.id.desc())) == before


def test_org_dept_cannot_create_or_edit_other_roles(app, db, world):
    client = client_as(app, world, "org")
    response = post_form(client, "/admin/users/new", {"username": "x-admin", "name": "某", "role": "admin",
                                                      "unit_id": "0"}, form_url="/admin/users/new")
    assert response.status_code == 400  # "admin" is not among the org_dept's choices
    assert db.session.scalar(select(User).where(User.username == "x-admin")) is None
    assert client.get(f"/admin/users/{world.disc.id}/edit").status_code == 404
    promote = post_form(client, f"/admin/users/{world.sec_a.id}/edit", _form(world.sec_a, role="admin"),
                        form_url=f"/admin/users/{world.sec_a.id}/edit")
    assert promote.status_code == 400
    db.session.refresh(world.sec_a)
    assert world.sec_a.role == Role.SECRETARY


def test_org_dept_edits_a_secretary_unit_and_email_audited(app, db, world):
    world.sec_a.password_hash = None  # not yet set up, as an import creates secretaries
    db.session.commit()
    client = client_as(app, world, "org")
    response = post_form(client, f"/admin/users/{world.sec_a.id}/edit",
                         _form(world.sec_a, unit_id=str(world.unit_b.id), email="jia@new.test"),
                         form_url=f"/admin/users/{world.sec_a.id}/edit")
    assert response.status_code == 302
    db.session.refresh(world.sec_a)
    assert world.sec_a.unit_id == world.unit_b.id and world.sec_a.email == "jia@new.test"
    fields = set(db.session.scalars(select(AuditEvent.field).where(AuditEvent.entity_type == "user_account",
                                                                   AuditEvent.entity_id == world.sec_a.id)))
    assert {"unit_id", "email"} <= fields


def test_org_dept_cannot_change_the_email_of_a_secretary_with_a_password(app, db, world):
    old_email = world.sec_a.email
    client = client_as(app, world, "org")
    page = client.get(f"/admin/users/{world.sec_a.id}/edit").get_data(as_text=True)
    assert "其邮箱只能由系统管理员修改" in page and "发送邀请邮件" not in page and "发送重置密码邮件" not in page
    response = post_form(client, f"/admin/users/{world.sec_a.id}/edit",
                         _form(world.sec_a, unit_id=str(world.unit_b.id), email="zzb-own@example.test"),
                         form_url=f"/admin/users/{world.sec_a.id}/edit")
    assert response.status_code == 400
    assert "该用户已设置密码，只有系统管理员可以修改其邮箱" in response.get_data(as_text=True)
    db.session.expire_all()
    assert world.sec_a.email == old_email and world.sec_a.unit_id == world.unit_a.id
    # Other fields remain the organization department's to edit.
    moved = post_form(client, f"/admin/users/{world.sec_a.id}/edit", _form(world.sec_a, unit_id=str(world.unit_b.id)),
                      form_url=f"/admin/users/{world.sec_a.id}/edit")
    assert moved.status_code == 302
    # The administrator may change it.
    admin = client_as(app, world, "admin")
    changed = post_form(admin, f"/admin/users/{world.sec_a.id}/edit", _form(world.sec_a, email="jia@new.test"),
                        form_url=f"/admin/users/{world.sec_a.id}/edit")
    assert changed.status_code == 302
    db.session.expire_all()
    assert world.sec_a.email == "jia@new.test" and world.sec_a.unit_id == world.unit_b.id


def test_deactivation_ends_the_users_session_and_blocks_login(app, db, world):
    victim = client_as(app, world, "sec_a")
    assert victim.get("/my/tasks").status_code == 200
    admin = client_as(app, world, "admin")
    response = post_form(admin, f"/admin/users/{world.sec_a.id}/deactivate",
                         form_url=f"/admin/users/{world.sec_a.id}/edit")
    assert response.status_code == 302
    assert victim.get("/my/tasks").status_code == 302
    assert login(app.test_client(), "sec-a", expect_success=False).status_code == 400
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "deactivate")) is not None
    post_form(admin, f"/admin/users/{world.sec_a.id}/activate", form_url=f"/admin/users/{world.sec_a.id}/edit")
    login(app.test_client(), "sec-a")


def test_admin_cannot_deactivate_self_or_change_own_role(app, db, world):
    client = client_as(app, world, "admin")
    response = post_form(client, f"/admin/users/{world.admin.id}/deactivate",
                         form_url=f"/admin/users/{world.admin.id}/edit", follow_redirects=True)
    assert "不能停用自己的账号" in response.get_data(as_text=True)
    response = post_form(client, f"/admin/users/{world.admin.id}/edit", _form(world.admin, role="org_dept"),
                         form_url=f"/admin/users/{world.admin.id}/edit")
    assert "不能修改自己的角色" in response.get_data(as_text=True)
    db.session.refresh(world.admin)
    assert world.admin.active and world.admin.role == Role.ADMIN


def test_user_names_are_escaped(app, db, world):
    world.sec_a.name = "<script>alert(1)</script>"
    db.session.commit()
    html = client_as(app, world, "admin").get("/admin/users").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_search_filters_users(app, world):
    html = client_as(app, world, "admin").get("/admin/users?q=乙").get_data(as_text=True)
    assert "乙书记" in html and "甲书记" not in html


# --- 批量开通 (issue 9): select many → invite, resend to those who never logged in, deactivate --------------

def _new_secretary(db, world, username, *, email=True):
    user = User(name=f"书记{username}", role=Role.SECRETARY, unit_id=world.unit_a.id,
                email=f"{username}@town.test" if email else None)
    db.session.add(user)
    db.session.commit()
    return user


def test_last_login_is_shown_and_never_logged_in_filters(app, db, world):
    client = client_as(app, world, "org")  # logs in as 王组织
    fresh = _new_secretary(db, world, "fresh")
    login(app.test_client(), "sec-a")
    db.session.expire_all()
    assert db.session.get(User, world.sec_a.id).last_login_at is not None
    page = client.get("/admin/users?never=y").get_data(as_text=True)
    assert fresh.name in page and "从未登录" in page and "甲书记" not in page
    assert "最后登录" in client.get("/admin/users").get_data(as_text=True)


def test_bulk_invite_sends_to_the_selected_and_names_those_refused(app, db, world):
    from tracker.models.accounts import AccountToken
    from tracker.models.notify import OutboxMessage

    client = client_as(app, world, "org")
    one, two, no_mail = (_new_secretary(db, world, "one"), _new_secretary(db, world, "two"),
                         _new_secretary(db, world, "nomail", email=False))
    response = post_form(client, "/admin/users/bulk", {"action": "invite",
                                                       "user_ids": [str(one.id), str(two.id), str(no_mail.id)]},
                         form_url="/admin/users", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "已处理2个账号" in page and f"{no_mail.name}：请先为该用户填写邮箱，再发送邀请" in page
    invited = set(db.session.scalars(select(AccountToken.user_id).where(AccountToken.purpose == "invitation")))
    assert invited == {one.id, two.id}
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "account_invitation")
                             .order_by(OutboxMessage.id)).to_addresses == ["one@town.test"]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "issue_invitation",
                                                      AuditEvent.entity_id == one.id)).actor_id == world.org.id


def test_resend_without_selection_reaches_everyone_who_never_logged_in(app, db, world):
    from tracker.models.accounts import AccountToken

    client = client_as(app, world, "org")
    waiting = [_new_secretary(db, world, f"w{i}") for i in range(3)]
    response = post_form(client, "/admin/users/bulk", {"action": "resend"}, form_url="/admin/users")
    assert response.status_code == 302
    invited = set(db.session.scalars(select(AccountToken.user_id).where(AccountToken.purpose == "invitation")))
    assert invited == {u.id for u in waiting}  # the secretaries with passwords are left alone


def test_bulk_deactivate_is_audited_and_other_roles_are_not_found(app, db, world):
    client = client_as(app, world, "org")
    target = _new_secretary(db, world, "gone")
    response = post_form(client, "/admin/users/bulk", {"action": "deactivate", "user_ids": [str(target.id)]},
                         form_url="/admin/users")
    assert response.status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, target.id).active
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "deactivate",
                                                      AuditEvent.entity_id == target.id)) is not None
    refused = post_form(client, "/admin/users/bulk", {"action": "deactivate", "user_ids": [str(world.disc.id)]},
                        form_url="/admin/users")
    assert refused.status_code == 404
    assert db.session.get(User, world.disc.id).active


def test_bulk_without_csrf_is_refused(app, db, world):
    client = client_as(app, world, "org")
    target = _new_secretary(db, world, "csrf")
    response = client.post("/admin/users/bulk", data={"action": "deactivate", "user_ids": [str(target.id)]})
    assert response.status_code == 400
    assert db.session.get(User, target.id).active
