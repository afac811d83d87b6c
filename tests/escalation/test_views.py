"""Pages of the notify work, as every role: outbox, my notices, holidays, 签收, task links, the panel."""
from datetime import date

import pytest
from sqlalchemy import select

from tests.escalation.conftest import at, run_tick
from tests.webhelpers import login, post_form
from tracker.models import AuditEvent
from tracker.models.notify import HolidayDay, OutboxMessage

ROLES = {"owner": "sec-a", "other": "sec-b", "org": "zzb", "disc": "jw", "admin": "admin", "anon": None}


def _client(app, role):
    client = app.test_client()
    if ROLES[role]:
        login(client, ROLES[role])
    return client


@pytest.fixture
def notified(app, db, people, smtp_server):
    task = people.task(db.session, deadline=date(2026, 3, 31), text="<b>群众反映</b>的问题")
    db.session.commit()
    run_tick("2026-04-08T09:00")  # 督办: owner and org dept users get notices
    return task


@pytest.mark.parametrize("role,status", [("owner", 404), ("other", 404), ("org", 200), ("disc", 404),
                                         ("admin", 404), ("anon", 302)])
def test_outbox_page_is_for_the_org_dept(app, notified, role, status):
    response = _client(app, role).get("/notify/outbox?status=sent")
    assert response.status_code == status
    if status == 200:
        page = response.get_data(as_text=True)
        assert "【督办】青山镇" in page and "&lt;b&gt;群众反映" in page and "已发送" in page


@pytest.mark.parametrize("role", ["owner", "other", "disc", "admin", "anon"])
def test_only_org_dept_may_retry(app, db, notified, role):
    row = db.session.scalars(select(OutboxMessage)).first()
    client = _client(app, role)
    response = client.post(f"/notify/outbox/{row.id}/retry", data={"csrf_token": _token(client)})
    if role == "anon":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == 404
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retry_mail")) is None


def _token(client):
    from tests.webhelpers import csrf_token

    return csrf_token(client, "/")


@pytest.mark.parametrize("role,count", [("owner", 1), ("other", 0), ("org", 1), ("disc", 0), ("admin", 0)])
def test_my_notices_lists_only_my_own(app, notified, role, count):
    page = _client(app, role).get("/notify/notices").get_data(as_text=True)
    assert page.count("【督办】") == count
    if count:
        assert "&lt;b&gt;群众反映" in page and "签收" in page


def test_my_notices_needs_login(app):
    assert app.test_client().get("/notify/notices").status_code == 302


@pytest.mark.parametrize("role,status", [("owner", 302), ("other", 404), ("org", 302), ("disc", 302),
                                         ("admin", 404), ("anon", 302)])
def test_task_link_in_mails(app, notified, role, status):
    response = _client(app, role).get(f"/notify/go/task/{notified.id}")
    assert response.status_code == status
    if status == 302 and role != "anon":
        assert response.headers["Location"].endswith(f"/tasks/{notified.id}")


@pytest.mark.parametrize("role,status", [("owner", 404), ("other", 404), ("org", 200), ("disc", 404),
                                         ("admin", 404), ("anon", 302)])
def test_holidays_page_roles(app, people, role, status):
    assert _client(app, role).get("/notify/holidays?year=2027").status_code == status


def test_org_dept_pastes_and_uploads_holidays(app, db, people):
    import io

    client = _client(app, "org")
    page = client.get("/notify/holidays?year=2027").get_data(as_text=True)
    assert "2027年节假日安排尚未录入" in page
    response = post_form(client, "/notify/holidays", {"text": "2027-01-01 休 元旦\n2027-02-07 班"},
                         form_url="/notify/holidays")
    assert response.status_code == 302
    bad = post_form(client, "/notify/holidays", {"text": "2027-02-30 休"}, form_url="/notify/holidays")
    assert bad.status_code == 400 and "日期不存在" in bad.get_data(as_text=True)
    upload = post_form(client, "/notify/holidays", {"file": (io.BytesIO("2027-02-08,休,春节".encode("gbk")),
                                                             "2027.csv")}, form_url="/notify/holidays",
                       content_type="multipart/form-data")
    assert upload.status_code == 302
    wrong = post_form(client, "/notify/holidays", {"file": (io.BytesIO(b"x"), "x.exe")}, form_url="/notify/holidays",
                      content_type="multipart/form-data")
    assert wrong.status_code == 400
    rows = db.session.scalars(select(HolidayDay).order_by(HolidayDay.day)).all()
    assert [(r.day, r.is_workday) for r in rows] == [(date(2027, 1, 1), False), (date(2027, 2, 7), True),
                                                     (date(2027, 2, 8), False)]
    page = client.get("/notify/holidays?year=2027").get_data(as_text=True)
    assert "2027年1月1日" in page and "调休上班" in page
    assert "尚未录入" in page.split("<table")[0]  # a few dates do not make the year complete (春节, 国庆 missing)
    full = "\n".join([*(f"2027-02-{d:02d} 休 春节" for d in range(6, 14)),
                      *(f"2027-10-{d:02d} 休 国庆节" for d in range(1, 8))])
    assert post_form(client, "/notify/holidays", {"text": full}, form_url="/notify/holidays").status_code == 302
    page = client.get("/notify/holidays?year=2027").get_data(as_text=True)
    assert "尚未录入" not in page.split("<table")[0]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "add_holiday")).actor_id == people.org.id
    response = post_form(client, f"/notify/holidays/{rows[0].id}/delete", form_url="/notify/holidays")
    assert response.status_code == 302 and db.session.get(HolidayDay, rows[0].id) is None
    other = _client(app, "owner")
    assert post_form(other, "/notify/holidays", {"text": "2027-03-01 休"}).status_code == 404


def test_dashboard_panel(app, db, notified):
    from flask import render_template

    with app.test_request_context():
        html = render_template("notices/_dashboard_panel.html")
    assert "已提醒未签收" in html and "群众反映" in html and 'id="notify-level-1">1<' in html
    assert "节假日安排尚未录入" in html  # next year (2027) is unknown to chinese_calendar and the table
    unacked = html.count("<tr>")
    notified.acknowledged_at = at("2026-04-08T10:00")
    db.session.commit()
    with app.test_request_context():
        html = render_template("notices/_dashboard_panel.html")
    assert html.count("<tr>") < unacked and 'id="notify-unacknowledged">0<' in html
