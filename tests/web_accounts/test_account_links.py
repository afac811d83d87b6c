"""Who may receive which link: invitations only before a password exists, reset links by the admin or by
忘记密码 (at most one per 10 minutes, answered the same for unknown names), and an email change ends them."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.webhelpers import CSRF_RE, client_as, extract_csrf, post_form
from tracker.models import AuditEvent
from tracker.models.accounts import AccountToken
from tracker.models.notify import OutboxMessage
from tracker.models.types import utcnow
from tracker.services import accounts
from tracker.services.errors import DomainError, PermissionDenied

RESET_RE = re.compile(r"http://tracker\.test/reset-password/([A-Za-z0-9_\-]+)")
INVITE_RE = re.compile(r"http://tracker\.test/invitation/([A-Za-z0-9_\-]+)")


def _count(db, model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _no_password(db, user):
    user.password_hash = None
    db.session.commit()


@pytest.mark.parametrize("role_key", ["org", "admin"])
def test_no_invitation_for_an_account_that_has_a_password(app, db, world, role_key):
    client = client_as(app, world, role_key)
    response = post_form(client, f"/admin/users/{world.sec_a.id}/invite", form_url=f"/admin/users/{world.sec_a.id}/edit",
                         follow_redirects=True)
    assert "该用户已设置密码，不能再发送邀请" in response.get_data(as_text=True)
    assert _count(db, AccountToken) == 0 and _count(db, OutboxMessage) == 0


def test_admin_sends_a_reset_link_valid_for_reset_token_hours(app, db, world):
    app.config["RESET_TOKEN_HOURS"] = 3
    client = client_as(app, world, "admin")
    page = client.get(f"/admin/users/{world.sec_a.id}/edit").get_data(as_text=True)
    assert "发送重置密码邮件" in page and "发送邀请邮件" not in page and "3 小时内有效" in page
    response = post_form(client, f"/admin/users/{world.sec_a.id}/reset-link",
                         form_url=f"/admin/users/{world.sec_a.id}/edit")
    assert response.status_code == 302
    message = db.session.scalar(select(OutboxMessage))
    assert message.to_addresses == [world.sec_a.email] and "重置密码" in message.subject
    raw = RESET_RE.search(message.body_text).group(1)
    token = db.session.scalar(select(AccountToken))
    assert token.purpose == AccountToken.PASSWORD_RESET and token.created_by_id == world.admin.id
    assert token.expires_at - token.created_at == timedelta(hours=3)
    assert app.test_client().get(f"/reset-password/{raw}").status_code == 200
    # An account without a password gets an invitation instead.
    _no_password(db, world.sec_b)
    refused = post_form(client, f"/admin/users/{world.sec_b.id}/reset-link",
                        form_url=f"/admin/users/{world.sec_b.id}/edit", follow_redirects=True)
    assert "该用户尚未设置密码，请发送邀请邮件" in refused.get_data(as_text=True)
    assert _count(db, AccountToken) == 1


def test_invitations_keep_invitation_hours(app, db, world):
    app.config.update(RESET_TOKEN_HOURS=2, INVITATION_HOURS=72)
    _no_password(db, world.sec_b)
    client = client_as(app, world, "admin")
    assert post_form(client, f"/admin/users/{world.sec_b.id}/invite",
                     form_url=f"/admin/users/{world.sec_b.id}/edit").status_code == 302
    token = db.session.scalar(select(AccountToken))
    assert token.purpose == AccountToken.INVITATION and token.expires_at - token.created_at == timedelta(hours=72)


@pytest.mark.parametrize("role_key", ["org", "sec_a", "sec_b", "disc"])
def test_only_the_admin_may_send_reset_links(app, db, world, role_key):
    client = client_as(app, world, role_key)
    response = post_form(client, f"/admin/users/{world.sec_b.id}/reset-link", form_url="/account/password")
    assert response.status_code == 404
    assert _count(db, AccountToken) == 0
    with pytest.raises(PermissionDenied):  # the service refuses too, whatever view calls it
        accounts.issue_token(db.session, world.sec_b, purpose=AccountToken.PASSWORD_RESET,
                             actor=world.user(role_key), now=utcnow(), hours=2)


def test_anonymous_reset_link_request_goes_to_login(app, db, world):
    client = app.test_client()
    token = extract_csrf(client.get("/login").get_data(as_text=True))
    response = client.post(f"/admin/users/{world.sec_b.id}/reset-link", data={"csrf_token": token})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _count(db, AccountToken) == 0


def test_changing_the_email_ends_every_outstanding_link(app, db, world):
    _no_password(db, world.sec_b)
    admin = client_as(app, world, "admin")
    post_form(admin, f"/admin/users/{world.sec_b.id}/invite", form_url=f"/admin/users/{world.sec_b.id}/edit")
    invitation = INVITE_RE.search(db.session.scalar(select(OutboxMessage)).body_text).group(1)
    now = utcnow()
    _row, reset = accounts.issue_token(db.session, world.sec_b, purpose=AccountToken.PASSWORD_RESET, actor=None,
                                       now=now, hours=2)
    db.session.commit()
    assert app.test_client().get(f"/invitation/{invitation}").status_code == 200

    form = {"username": world.sec_b.username, "name": world.sec_b.name, "role": world.sec_b.role,
            "unit_id": str(world.unit_b.id), "email": "yi@new.test"}
    org = client_as(app, world, "org")
    assert post_form(org, f"/admin/users/{world.sec_b.id}/edit", form,
                     form_url=f"/admin/users/{world.sec_b.id}/edit").status_code == 302
    assert app.test_client().get(f"/invitation/{invitation}").status_code == 404
    assert app.test_client().get(f"/reset-password/{reset}").status_code == 404
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "revoke_account_links"))
    assert event.actor_id == world.org.id and event.entity_id == world.sec_b.id and "2个" in event.note
    # A new invitation goes to the new address and works.
    post_form(admin, f"/admin/users/{world.sec_b.id}/invite", form_url=f"/admin/users/{world.sec_b.id}/edit")
    latest = db.session.scalar(select(OutboxMessage).order_by(OutboxMessage.id.desc()))
    assert latest.to_addresses == ["yi@new.test"]
    assert app.test_client().get(f"/invitation/{INVITE_RE.search(latest.body_text).group(1)}").status_code == 200


def test_saving_without_an_email_change_keeps_the_links(app, db, world):
    _no_password(db, world.sec_b)
    admin = client_as(app, world, "admin")
    post_form(admin, f"/admin/users/{world.sec_b.id}/invite", form_url=f"/admin/users/{world.sec_b.id}/edit")
    invitation = INVITE_RE.search(db.session.scalar(select(OutboxMessage)).body_text).group(1)
    form = {"username": world.sec_b.username, "name": "乙书记（新）", "role": world.sec_b.role,
            "unit_id": str(world.unit_b.id), "email": world.sec_b.email}
    assert post_form(admin, f"/admin/users/{world.sec_b.id}/edit", form,
                     form_url=f"/admin/users/{world.sec_b.id}/edit").status_code == 302
    assert app.test_client().get(f"/invitation/{invitation}").status_code == 200
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "revoke_account_links")) is None


# --- 忘记密码 ---------------------------------------------------------------------------------------------

def _forgot(app, identifier, environ=None):
    """The answer to the POST and the login page it leads to, with the per-session CSRF token blanked."""
    client = app.test_client()
    token = extract_csrf(client.get("/forgot-password").get_data(as_text=True))
    answer = client.post("/forgot-password", data={"identifier": identifier, "csrf_token": token},
                         environ_base=environ or {})
    page = client.get(answer.headers["Location"])
    return answer, CSRF_RE.sub("csrf", page.get_data(as_text=True))


def test_one_reset_mail_per_user_per_ten_minutes_and_identical_answers(app, db, world):
    known, known_page = _forgot(app, "sec-a")
    unknown, unknown_page = _forgot(app, "nobody-here")
    again, again_page = _forgot(app, world.sec_a.email)
    for answer in (known, unknown, again):
        assert answer.status_code == 302 and answer.headers["Location"] == "/login"
    assert known.get_data() == unknown.get_data() == again.get_data()
    assert known_page == unknown_page == again_page and "如果该账号存在且登记了邮箱" in known_page
    assert _count(db, OutboxMessage) == 1 and _count(db, AccountToken) == 1
    first = db.session.scalar(select(AccountToken))
    assert first.expires_at - first.created_at == timedelta(hours=app.config.get("RESET_TOKEN_HOURS", 2))
    # The link of the first mail still works: the refused request cancelled nothing.
    raw = RESET_RE.search(db.session.scalar(select(OutboxMessage)).body_text).group(1)
    assert app.test_client().get(f"/reset-password/{raw}").status_code == 200

    # Ten minutes later, a new request sends a new mail.
    first.created_at = utcnow() - timedelta(minutes=11)
    db.session.commit()
    _forgot(app, "sec-a")
    assert _count(db, OutboxMessage) == 2


def test_forgot_password_requests_are_limited_per_address(app, db, world):
    app.config.update(LOGIN_MAX_FAILURES_PER_IP=2)
    environ = {"REMOTE_ADDR": "10.9.9.9"}
    _forgot(app, "nobody-1", environ)
    _forgot(app, "nobody-2", environ)
    _forgot(app, "sec-a", environ)  # third request from this address: no mail, the same answer
    assert _count(db, OutboxMessage) == 0
    _forgot(app, "sec-a", {"REMOTE_ADDR": "10.9.9.10"})
    assert _count(db, OutboxMessage) == 1


def test_reset_for_an_inactive_or_mailless_user_sends_nothing(app, db, world):
    world.sec_a.active = False
    world.sec_b.email = None
    db.session.commit()
    _forgot(app, "sec-a")
    _forgot(app, "sec-b")
    assert _count(db, OutboxMessage) == 0 and _count(db, AccountToken) == 0


def test_issue_token_refusals_leave_no_token(db, world):
    world.sec_a.active = False
    with pytest.raises(DomainError, match="已停用"):
        accounts.issue_token(db.session, world.sec_a, purpose=AccountToken.INVITATION, actor=world.admin,
                             now=utcnow(), hours=72)
    assert db.session.scalar(select(func.count()).select_from(AccountToken)) == 0
