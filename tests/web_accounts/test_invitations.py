"""Invitations and password resets: one-time links, stored hashed, expiring, sent through the outbox."""
import hashlib
import re
from datetime import timedelta

from sqlalchemy import select

from tests.factories import make_unit, make_user
from tests.webhelpers import extract_csrf, login, post_form
from tracker.models import Role, User
from tracker.models.accounts import AccountToken
from tracker.models.notify import OutboxMessage
from tracker.models.types import utcnow
from tracker.services.accounts import verify_password

LINK_RE = re.compile(r"http://tracker\.test/invitation/([A-Za-z0-9_\-]+)")


def _imported_secretary(db):
    """A secretary as an import creates them: no username, no password."""
    unit = make_unit(db.session, "青山镇")
    user = User(name="甲书记", role=Role.SECRETARY, unit_id=unit.id, email="jia@example.test")
    db.session.add(user)
    db.session.commit()
    return user


def _invite(app, db, inviter_username, user):
    client = app.test_client()
    login(client, inviter_username)
    response = post_form(client, f"/admin/users/{user.id}/invite", form_url=f"/admin/users/{user.id}/edit")
    assert response.status_code == 302
    message = db.session.scalar(select(OutboxMessage).order_by(OutboxMessage.id.desc()))
    assert message is not None
    return message


def test_org_dept_invites_a_secretary_who_sets_a_password_and_is_logged_in(app, db):
    make_user(db.session, Role.ORG_DEPT, username="zzb")
    secretary = _imported_secretary(db)
    message = _invite(app, db, "zzb", secretary)
    assert message.to_addresses == ["jia@example.test"]
    assert message.kind == "account_invitation" and "账号邀请" in message.subject
    raw = LINK_RE.search(message.body_text).group(1)
    assert f"/invitation/{raw}" in message.body_html and "甲书记同志" in message.body_text
    token = db.session.scalar(select(AccountToken))
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest() and raw not in token.token_hash
    assert token.expires_at - token.created_at == timedelta(hours=app.config["INVITATION_HOURS"])

    browser = app.test_client()
    page = browser.get(f"/invitation/{raw}")
    assert page.status_code == 200 and "设置密码" in page.get_data(as_text=True)
    csrf = extract_csrf(page.get_data(as_text=True))
    response = browser.post(f"/invitation/{raw}", data={"csrf_token": csrf, "username": "jia",
                                                        "password": "my-new-password", "confirm": "my-new-password"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert browser.get("/my/tasks").status_code == 200  # logged in
    db.session.refresh(secretary)
    assert secretary.username == "jia" and verify_password(secretary, "my-new-password")
    db.session.refresh(token)
    assert token.used_at is not None

    # Single use.
    again = app.test_client().get(f"/invitation/{raw}")
    assert again.status_code == 404 and "链接无效或已过期" in again.get_data(as_text=True)
    # And the secretary can now log in by the new username or by email.
    login(app.test_client(), "jia", "my-new-password")
    login(app.test_client(), "jia@example.test", "my-new-password")


def test_invitation_expires(app, db):
    make_user(db.session, Role.ADMIN, username="admin")
    secretary = _imported_secretary(db)
    message = _invite(app, db, "admin", secretary)
    raw = LINK_RE.search(message.body_text).group(1)
    token = db.session.scalar(select(AccountToken))
    token.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert app.test_client().get(f"/invitation/{raw}").status_code == 404


def test_a_new_invitation_cancels_the_previous_link(app, db):
    make_user(db.session, Role.ADMIN, username="admin")
    secretary = _imported_secretary(db)
    first = LINK_RE.search(_invite(app, db, "admin", secretary).body_text).group(1)
    second = LINK_RE.search(_invite(app, db, "admin", secretary).body_text).group(1)
    assert first != second
    assert app.test_client().get(f"/invitation/{first}").status_code == 404
    assert app.test_client().get(f"/invitation/{second}").status_code == 200


def test_invitation_form_errors_keep_the_link_usable(app, db):
    make_user(db.session, Role.ADMIN, username="admin")
    secretary = _imported_secretary(db)
    raw = LINK_RE.search(_invite(app, db, "admin", secretary).body_text).group(1)
    client = app.test_client()
    csrf = extract_csrf(client.get(f"/invitation/{raw}").get_data(as_text=True))
    bad = client.post(f"/invitation/{raw}", data={"csrf_token": csrf, "password": "short", "confirm": "short"})
    assert bad.status_code == 400 and "密码至少 8 位" in bad.get_data(as_text=True)
    missing_token = client.post(f"/invitation/{raw}", data={"password": "long-enough-1", "confirm": "long-enough-1"})
    assert missing_token.status_code == 400
    db.session.refresh(secretary)
    assert secretary.password_hash is None
    assert client.get(f"/invitation/{raw}").status_code == 200


def test_user_without_email_cannot_be_invited(app, db):
    make_user(db.session, Role.ADMIN, username="admin")
    secretary = _imported_secretary(db)
    secretary.email = None
    db.session.commit()
    client = app.test_client()
    login(client, "admin")
    response = post_form(client, f"/admin/users/{secretary.id}/invite", form_url=f"/admin/users/{secretary.id}/edit",
                         follow_redirects=True)
    assert "请先为该用户填写邮箱" in response.get_data(as_text=True)
    assert db.session.scalar(select(OutboxMessage)) is None
    assert db.session.scalar(select(AccountToken)) is None


def test_org_dept_cannot_invite_other_roles(app, db):
    make_user(db.session, Role.ORG_DEPT, username="zzb")
    colleague = make_user(db.session, Role.DISCIPLINE, username="jw")
    db.session.commit()
    client = app.test_client()
    login(client, "zzb")
    response = post_form(client, f"/admin/users/{colleague.id}/invite", form_url="/admin/users")
    assert response.status_code == 404
    assert db.session.scalar(select(AccountToken)) is None


def test_invitation_is_delivered_by_real_smtp_and_the_link_works(app, db, smtp_server):
    from tracker.mail.delivery import deliver

    make_user(db.session, Role.ORG_DEPT, username="zzb")
    secretary = _imported_secretary(db)
    _invite(app, db, "zzb", secretary)
    deliver(db.session, now=utcnow())
    db.session.commit()
    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received["rcpt"] == ["jia@example.test"]
    body = received["message"].get_body(preferencelist=("plain",)).get_content()
    raw = LINK_RE.search(body).group(1)
    assert app.test_client().get(f"/invitation/{raw}").status_code == 200


def test_forgot_password_answers_the_same_and_mails_only_known_users(app, db):
    user = make_user(db.session, Role.SECRETARY, make_unit(db.session), username="sec", email="sec@example.test")
    db.session.commit()
    client = app.test_client()
    unknown = post_form(client, "/forgot-password", {"identifier": "nobody"}, form_url="/forgot-password",
                        follow_redirects=True)
    known = post_form(client, "/forgot-password", {"identifier": "sec"}, form_url="/forgot-password",
                      follow_redirects=True)
    message_text = "如果该账号存在且登记了邮箱"
    assert message_text in unknown.get_data(as_text=True) and message_text in known.get_data(as_text=True)
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert len(messages) == 1 and messages[0].to_addresses == ["sec@example.test"]
    assert "重置密码" in messages[0].subject
    raw = re.search(r"/reset-password/([A-Za-z0-9_\-]+)", messages[0].body_text).group(1)
    other_session = app.test_client()
    login(other_session, "sec")
    page = client.get(f"/reset-password/{raw}")
    csrf = extract_csrf(page.get_data(as_text=True))
    response = client.post(f"/reset-password/{raw}", data={"csrf_token": csrf, "password": "reset-password-1",
                                                           "confirm": "reset-password-1"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert verify_password(user, "reset-password-1")
    assert other_session.get("/account/password").status_code == 302  # older sessions end
    assert client.get(f"/reset-password/{raw}").status_code == 404
    # An invitation link is not a reset link, and the other way round.
    assert client.get(f"/invitation/{raw}").status_code == 404
