"""In a real Chromium: the 党组织书记名册 import (preview, a near unit picked, confirm) and the 待电话转达 list
(the 工作台 count, 已电话通知 recorded with who and when)."""
from datetime import date

from sqlalchemy import select

from tests.escalation.conftest import at
from tests.factories import make_review, make_task, make_unit
from tests.roster.conftest import roster_bytes
from tests.webhelpers import browser_login, quick_user
from tracker.models import AuditEvent, Role, User
from tracker.models.notify import PhoneRelay


def test_roster_import_then_the_phone_list(page, live_server, db, app, tmp_path):
    from flask import current_app

    qingshan, baiyun = make_unit(db.session, "青山镇"), make_unit(db.session, "白云街道")
    old = quick_user(db.session, Role.SECRETARY, qingshan, username="sec-a", name="甲书记")
    review = make_review(db.session)
    task = make_task(db.session, qingshan, old, review, deadline=date(2026, 3, 31), text="干部队伍建设薄弱")
    quick_user(db.session, Role.ORG_DEPT, username="zzb", name="王组织")
    db.session.commit()
    roster = tmp_path / "名册.xlsx"
    roster.write_bytes(roster_bytes([
        {"单位": "青山镇", "姓名": "赵新", "手机号码": "13900001111", "电子邮箱": "zhaoxin@town.test"},
        {"单位": "白云街", "姓名": "钱进", "手机号码": "13900002222"},
        {"单位": "", "姓名": "无单位"},
    ]))
    browser_login(page, live_server.url, "zzb")
    page.goto(f"{live_server.url}/roster/")
    page.set_input_files("#roster", str(roster))
    with page.expect_navigation():
        page.click("#roster-form button[type=submit]")
    content = page.content()
    assert "换届：青山镇现任书记甲书记将停用" in content and "单位为空" in content
    assert page.text_content("#bad-count") == "2"
    page.select_option("select[name=unit_4]", label="白云街道")  # the near match, row 4
    with page.expect_navigation():
        page.click("#confirm-roster")
    assert "名册已导入：新建2人" in page.content() and "第5行有误" in page.content()

    db.session.rollback()
    qian = db.session.scalar(select(User).where(User.name == "钱进"))
    assert qian.unit_id == baiyun.id and qian.phone == "13900002222" and qian.email is None
    assert db.session.get(type(task), task.id).owner.name == "赵新"
    waiting = make_task(db.session, baiyun, qian, review, deadline=date(2026, 3, 31), text="社区工作者流动性大",
                        rules=dict(current_app.config["ESCALATION_RULES"]))
    waiting.created_at = waiting.next_check_at = at("2026-02-02T10:00")
    db.session.commit()
    from jobs.tasks import scan_job

    scan_job(now=at("2026-03-24T09:00"))

    page.goto(f"{live_server.url}/org/")
    assert page.text_content("#unreached-count") == "1"
    with page.expect_navigation():
        page.click("#unreached-panel a")
    row = page.locator("#phone-list tbody tr").first
    assert "钱进" in row.text_content() and "13900002222" in row.text_content()
    assert "无邮箱、未激活账号" in row.text_content()
    row.locator("input[name=note]").fill("已告知，本人知晓")
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    assert "王组织已电话通知钱进" in page.content()
    db.session.rollback()
    relay = db.session.scalar(select(PhoneRelay))
    assert relay.called_at is not None and relay.called_by.name == "王组织" and relay.call_note == "已告知，本人知晓"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "phone_relayed")) is not None
    page.goto(f"{live_server.url}/org/")
    assert "所有通知均有送达渠道" in page.content()
