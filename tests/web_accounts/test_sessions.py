"""Sessions: logout refuses copied cookies, cookie flags in production, the CLI's create-user."""
import re

from sqlalchemy import select

from config import ProductionConfig
from tests.factories import PASSWORD, make_unit, make_user
from tests.webhelpers import csrf_token, login, logout, post_form
from tracker.models import AuditEvent, Role, User
from tracker.services.accounts import verify_password


def _session_cookie(client):
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_copied_cookie_is_refused_after_logout(app, db):
    user = make_user(db.session, Role.ORG_DEPT, username="zzb")
    db.session.commit()
    client = app.test_client()
    login(client, "zzb")
    copied = _session_cookie(client)
    assert client.get("/account/password").status_code == 200

    response = logout(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    db.session.refresh(user)
    assert user.session_version == 2

    thief = app.test_client()
    thief.set_cookie("session", copied)
    response = thief.get("/account/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "logout")) is not None


def test_logout_requires_post_with_csrf(app, db):
    make_user(db.session, Role.ORG_DEPT, username="zzb")
    db.session.commit()
    client = app.test_client()
    login(client, "zzb")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no token
    assert client.get("/account/password").status_code == 200  # still logged in


def test_production_session_cookie_is_secure_httponly_lax(app, db):
    class _Prod(ProductionConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        SECRET_KEY = "prod-test"

    from tracker import create_app

    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    make_user(db.session, Role.ORG_DEPT, username="zzb")
    db.session.commit()
    production = create_app(_Prod)
    with production.app_context():
        client = production.test_client()
        page = client.get("/login", base_url="https://tracker.test")
        header = page.headers["Set-Cookie"]
        for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
            assert flag in header
        from tests.webhelpers import extract_csrf
        from tracker.extensions import db as _db

        token = extract_csrf(page.get_data(as_text=True))
        response = client.post("/login", data={"identifier": "zzb", "password": PASSWORD, "csrf_token": token},
                               base_url="https://tracker.test",
                               headers={"Referer": "https://tracker.test/login"})  # HTTPS: Flask-WTF checks it
        assert response.status_code == 302, response.get_data(as_text=True)
        assert all(flag in response.headers["Set-Cookie"] for flag in ("Secure", "HttpOnly", "SameSite=Lax"))
        _db.session.remove()
        _db.engine.dispose()


def test_change_password_logs_out_other_sessions(app, db):
    user = make_user(db.session, Role.SECRETARY, make_unit(db.session), username="sec")
    db.session.commit()
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "sec")
    login(elsewhere, "sec")
    response = post_form(here, "/account/password", {"current": PASSWORD, "password": "new-password-1",
                                                      "confirm": "new-password-1"}, form_url="/account/password")
    assert response.status_code == 302
    assert here.get("/account/password").status_code == 200  # this browser stays in
    assert elsewhere.get("/account/password").status_code == 302  # the other one is out
    db.session.refresh(user)
    assert verify_password(user, "new-password-1")


def test_change_password_wrong_current_or_mismatch(app, db):
    user = make_user(db.session, Role.SECRETARY, make_unit(db.session), username="sec")
    db.session.commit()
    client = app.test_client()
    login(client, "sec")
    wrong = post_form(client, "/account/password", {"current": "bad-one-123", "password": "new-password-1",
                                                     "confirm": "new-password-1"}, form_url="/account/password")
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.get_data(as_text=True)
    mismatch = post_form(client, "/account/password", {"current": PASSWORD, "password": "new-password-1",
                                                        "confirm": "other-password"}, form_url="/account/password")
    assert mismatch.status_code == 400 and "两次输入的密码不一致" in mismatch.get_data(as_text=True)
    short = post_form(client, "/account/password", {"current": PASSWORD, "password": "short",
                                                     "confirm": "short"}, form_url="/account/password")
    assert "密码至少 8 位" in short.get_data(as_text=True)
    db.session.refresh(user)
    assert verify_password(user, PASSWORD)


def test_cli_create_user(app, db):
    unit = make_unit(db.session, "青山镇")
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "--username", "qs", "--name", "甲书记", "--role", "secretary",
                                 "--email", "QS@Example.test", "--unit", "青山镇", "--password", "long-enough-1"])
    assert result.exit_code == 0, result.output
    assert "已创建用户 qs" in result.output
    user = db.session.scalar(select(User).where(User.username == "qs"))
    assert user.unit_id == unit.id and user.email == "qs@example.test" and verify_password(user, "long-enough-1")
    client = app.test_client()
    login(client, "qs", "long-enough-1")
    assert client.get("/my/tasks").status_code == 200


def test_cli_create_user_refuses_bad_input(app, db):
    runner = app.test_cli_runner()
    short = runner.invoke(args=["create-user", "--username", "x", "--name", "某", "--role", "admin",
                                "--password", "short"])
    assert short.exit_code != 0 and "密码至少 8 位" in short.output
    no_unit = runner.invoke(args=["create-user", "--username", "y", "--name", "某", "--role", "secretary",
                                  "--password", "long-enough-1"])
    assert no_unit.exit_code != 0 and "书记账号必须指定责任单位" in no_unit.output
    assert db.session.scalar(select(User).where(User.username.in_(["x", "y"]))) is None


def test_login_page_token_helper_reads_the_form(app):
    assert len(csrf_token(app.test_client(), "/login")) > 20


def test_session_cookie_expires_after_the_configured_lifetime(app, db):
    from datetime import datetime, timedelta, timezone
    from email.utils import parsedate_to_datetime

    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=12)
    make_user(db.session, Role.ORG_DEPT, username="zzb")
    db.session.commit()
    client = app.test_client()
    response = login(client, "zzb")
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", header).group(1))
    remaining = expires - datetime.now(timezone.utc)
    assert timedelta(hours=11, minutes=55) < remaining <= timedelta(hours=12)
    assert client.get("/account/password").status_code == 200
