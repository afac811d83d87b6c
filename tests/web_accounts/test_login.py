"""Login by username or email, CSRF, throttling kept in the database, messages that disclose nothing."""
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import PASSWORD, make_user
from tests.webhelpers import csrf_token, login
from tracker.models import Role
from tracker.models.accounts import LoginThrottle
from tracker.models.types import utcnow
from tracker.timeutil import cn_datetime

LOCKED = "登录失败次数过多"
WRONG = "用户名（或邮箱）或密码错误"


def _attempt(client, identifier, password, environ=None):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"identifier": identifier, "password": password, "csrf_token": token},
                       environ_base=environ or {})


@pytest.fixture
def user(db):
    user = make_user(db.session, Role.ORG_DEPT, username="zzb", email="zzb@example.test")
    db.session.commit()
    return user


def test_login_by_username_then_by_email(app, user):
    client = app.test_client()
    response = login(client, "zzb")
    assert response.headers["Location"] == "/"
    assert client.get("/account/password").status_code == 200

    other = app.test_client()
    login(other, "ZZB@example.test ")  # emails are matched case-insensitively, spaces trimmed
    assert other.get("/account/password").status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_answer(app, user):
    client = app.test_client()
    wrong = _attempt(client, "zzb", "nope-nope-nope")
    unknown = _attempt(client, "nobody", "nope-nope-nope")
    assert wrong.status_code == unknown.status_code == 400
    for response in (wrong, unknown):
        assert WRONG in response.get_data(as_text=True)
    assert client.get("/account/password").status_code == 302


def test_post_without_csrf_token_is_refused(app, user):
    client = app.test_client()
    response = client.post("/login", data={"identifier": "zzb", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/account/password").status_code == 302  # not logged in


def test_missing_fields_show_messages_beside_them(app, user):
    client = app.test_client()
    response = _attempt(client, "", "")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert html.count("此项为必填项") == 2


def test_account_locks_after_max_failures_even_with_the_right_password(app, db, user):
    app.config.update(LOGIN_MAX_FAILURES=3, LOGIN_LOCK_MINUTES=15)
    client = app.test_client()
    answers = [_attempt(client, "zzb", "wrong-password") for _ in range(3)]
    assert WRONG in answers[0].get_data(as_text=True)
    assert LOCKED in answers[2].get_data(as_text=True)
    assert "15分钟" in answers[2].get_data(as_text=True)
    right = _attempt(client, "zzb", PASSWORD)
    assert right.status_code == 400 and LOCKED in right.get_data(as_text=True)
    # The email names the same account: it is locked too.
    assert LOCKED in _attempt(app.test_client(), "zzb@example.test", PASSWORD).get_data(as_text=True)
    row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.scope == "account"))
    assert row.key == f"user:{user.id}" and row.failures == 3 and row.locked_until > utcnow()


def test_lock_message_is_the_same_for_unknown_names(app):
    app.config.update(LOGIN_MAX_FAILURES=2)
    client = app.test_client()
    answers = [_attempt(client, "ghost", "x-password") for _ in range(3)]
    assert LOCKED in answers[1].get_data(as_text=True)
    assert LOCKED in answers[2].get_data(as_text=True)


def test_lock_expires_and_success_clears_the_account_counter(app, db, user):
    app.config.update(LOGIN_MAX_FAILURES=2, LOGIN_LOCK_MINUTES=15)
    client = app.test_client()
    for _ in range(2):
        _attempt(client, "zzb", "wrong-password")
    row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.scope == "account"))
    # Move the lock into the past, as if 15 minutes had gone by.
    past = utcnow() - timedelta(minutes=16)
    row.locked_until = past + timedelta(minutes=15)
    row.last_failure_at = past
    db.session.commit()
    assert login(client, "zzb").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(LoginThrottle).where(LoginThrottle.scope == "account")) is None


def test_client_address_is_throttled_across_account_names(app, db, user):
    app.config.update(LOGIN_MAX_FAILURES=5, LOGIN_MAX_FAILURES_PER_IP=3)
    client = app.test_client()
    environ = {"REMOTE_ADDR": "10.0.0.7"}
    for name in ("a1", "a2", "a3"):
        _attempt(client, name, "wrong-password", environ)
    refused = _attempt(client, "zzb", PASSWORD, environ)
    assert LOCKED in refused.get_data(as_text=True)
    # Another address is not affected.
    assert _attempt(app.test_client(), "zzb", PASSWORD, {"REMOTE_ADDR": "10.0.0.8"}).status_code == 302
    ip_row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.scope == "ip"))
    assert ip_row.key == "10.0.0.7" and ip_row.failures == 3


def test_counters_live_in_the_database_so_every_worker_sees_them(app, db, user):
    """A second app instance (another gunicorn worker) on the same database sees the lock."""
    from config import TestConfig
    from tracker import create_app

    app.config.update(LOGIN_MAX_FAILURES=2)
    first = app.test_client()
    for _ in range(2):
        _attempt(first, "zzb", "wrong-password")

    class _Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        UPLOAD_DIR = app.config["UPLOAD_DIR"]
        LOGIN_MAX_FAILURES = 2

    worker2 = create_app(_Config)
    with worker2.app_context():
        answer = _attempt(worker2.test_client(), "zzb", PASSWORD)
        db.session.remove()
        db.engine.dispose()
    assert LOCKED in answer.get_data(as_text=True)


def test_inactive_user_cannot_log_in(app, db, user):
    user.active = False
    db.session.commit()
    response = _attempt(app.test_client(), "zzb", PASSWORD)
    assert response.status_code == 400 and "已停用" in response.get_data(as_text=True)


def test_password_never_reaches_the_logs(app, user, caplog):
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    _attempt(client, "zzb", "secret-wrong-pw-123")
    login(client, "zzb")
    assert caplog.records, "login attempts are logged"
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "secret-wrong-pw-123" not in text and PASSWORD not in text


def test_next_parameter_only_redirects_within_the_site(app, user):
    client = app.test_client()
    token = csrf_token(client, "/login")
    response = client.post("/login?next=https://evil.example/x",
                           data={"identifier": "zzb", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"
    other = app.test_client()
    token = csrf_token(other, "/login")
    response = other.post("/login?next=/account/password",
                          data={"identifier": "zzb", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/account/password"


def test_password_is_stored_hashed_with_scrypt(db, user):
    assert user.password_hash.startswith("scrypt:") and PASSWORD not in user.password_hash


def test_a_locked_address_says_so_and_when_it_unlocks_without_touching_other_addresses(app, db, user):
    app.config.update(LOGIN_MAX_FAILURES=50, LOGIN_MAX_FAILURES_PER_IP=3, LOGIN_LOCK_MINUTES=15)
    locked_ip, other_ip = {"REMOTE_ADDR": "10.0.0.7"}, {"REMOTE_ADDR": "10.0.0.8"}
    client = app.test_client()
    for name in ("a1", "a2"):
        assert WRONG in _attempt(client, name, "wrong-password", locked_ip).get_data(as_text=True)
    third = _attempt(client, "a3", "wrong-password", locked_ip).get_data(as_text=True)
    row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.scope == "ip"))
    unlock = cn_datetime(row.locked_until, app.config["TIMEZONE"])
    for html in (third, _attempt(client, "zzb", PASSWORD, locked_ip).get_data(as_text=True)):
        assert "您所在网络地址已暂时锁定" in html and f"将于{unlock}解除" in html
    assert client.get("/account/password").status_code == 302  # the right password is still refused there
    # The other address logs in, and its own counter is untouched.
    assert _attempt(app.test_client(), "zzb", PASSWORD, other_ip).status_code == 302
    keys = set(db.session.scalars(select(LoginThrottle.key).where(LoginThrottle.scope == "ip")))
    assert keys == {"10.0.0.7"}


def test_behind_a_proxy_the_lock_follows_the_forwarded_client_not_the_proxy(app, db, user):
    """create_app installs ProxyFix when PROXY_FIX_X_FOR is set; the login then sees each real client."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    app.config.update(LOGIN_MAX_FAILURES=50, LOGIN_MAX_FAILURES_PER_IP=2)
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1)
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    attacker = app.test_client()
    for name in ("b1", "b2"):
        token = csrf_token(attacker, "/login")
        attacker.post("/login", data={"identifier": name, "password": "bad-password", "csrf_token": token},
                      environ_base=proxy, headers={"X-Forwarded-For": "203.0.113.5"})
    colleague = app.test_client()
    token = csrf_token(colleague, "/login")
    response = colleague.post("/login", data={"identifier": "zzb", "password": PASSWORD, "csrf_token": token},
                              environ_base=proxy, headers={"X-Forwarded-For": "203.0.113.6"})
    assert response.status_code == 302
    assert set(db.session.scalars(select(LoginThrottle.key).where(LoginThrottle.scope == "ip"))) == {"203.0.113.5"}


def test_without_a_proxy_setting_a_forged_forwarded_header_does_not_dodge_the_lock(app, db, user):
    app.config.update(LOGIN_MAX_FAILURES=50, LOGIN_MAX_FAILURES_PER_IP=2)
    client = app.test_client()
    for n in range(3):
        token = csrf_token(client, "/login")
        answer = client.post("/login", data={"identifier": f"c{n}", "password": "bad-password", "csrf_token": token},
                             environ_base={"REMOTE_ADDR": "10.0.0.9"}, headers={"X-Forwarded-For": f"198.51.100.{n}"})
    assert "网络地址已暂时锁定" in answer.get_data(as_text=True)


def test_stale_throttle_rows_are_deleted_on_the_next_attempt(app, db, user):
    app.config.update(LOGIN_LOCK_MINUTES=15)
    now = utcnow()
    stale = [LoginThrottle(scope="account", key=f"name:spray{n}", failures=1,
                           last_failure_at=now - timedelta(minutes=16)) for n in range(3)]
    expired_lock = LoginThrottle(scope="ip", key="10.1.1.1", failures=20, last_failure_at=now - timedelta(minutes=20),
                                 locked_until=now - timedelta(minutes=5))
    recent = LoginThrottle(scope="account", key="name:recent", failures=2, last_failure_at=now - timedelta(minutes=3))
    still_locked = LoginThrottle(scope="ip", key="10.1.1.2", failures=20, last_failure_at=now - timedelta(minutes=16),
                                 locked_until=now + timedelta(minutes=30))
    db.session.add_all([*stale, expired_lock, recent, still_locked])
    db.session.commit()
    _attempt(app.test_client(), "someone-else", "wrong-password", {"REMOTE_ADDR": "10.1.1.3"})
    db.session.expire_all()
    keys = set(db.session.scalars(select(LoginThrottle.key)))
    assert keys == {"name:recent", "10.1.1.2", "name:someone-else", "10.1.1.3"}


def test_success_resets_the_account_counter(app, db, user):
    app.config.update(LOGIN_MAX_FAILURES=3)
    client = app.test_client()
    for _ in range(2):
        _attempt(client, "zzb", "wrong-password")
    assert login(client, "zzb").status_code == 302
    assert db.session.scalar(select(LoginThrottle).where(LoginThrottle.key == f"user:{user.id}")) is None
    # Two more failures do not lock: counting started again.
    other = app.test_client()
    for _ in range(2):
        assert WRONG in _attempt(other, "zzb", "wrong-password").get_data(as_text=True)
