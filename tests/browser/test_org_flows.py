"""The organization department in a real Chromium: verify → 销号率 changes; import; ledger download."""
import openpyxl
from sqlalchemy import select

from tests.web_org.conftest import build_world
from tests.web_org.test_imports import TRANSCRIPT
from tests.webhelpers import browser_login
from tracker.models import Task


def test_verify_changes_the_closure_rate(page, live_server, db):
    world = build_world(db.session)
    browser_login(page, live_server.url, "zzb")
    page.goto(f"{live_server.url}/org/?review={world.review.id}")
    assert page.text_content("#stat-rate") == "20.0%"  # 1 of the review's 5 tasks closed
    page.goto(f"{live_server.url}/org/tasks/{world.awaiting.id}")
    page.check("#verify-form input[value='好']")
    with page.expect_navigation():
        page.click("#verify-form button[type=submit]")
    assert "已审核销号" in page.content()
    assert page.text_content("#task-status").startswith("已销号")
    page.goto(f"{live_server.url}/org/?review={world.review.id}")
    assert page.text_content("#stat-rate") == "40.0%"
    assert page.text_content("#light-closed b") == "2"


def test_import_upload_preview_edit_confirm(page, live_server, db, tmp_path):
    from tests.web_org.conftest import quick_user
    from tracker.models import Role

    quick_user(db.session, Role.ORG_DEPT, username="zzb", name="王组织")
    db.session.commit()
    document = tmp_path / "述职评议.txt"
    document.write_text(TRANSCRIPT, encoding="utf-8")
    browser_login(page, live_server.url, "zzb")
    page.goto(f"{live_server.url}/imports/")
    page.set_input_files("#document", str(document))
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")
    assert "识别到 2 个单位的点评" in page.content()
    page.fill("#s1-p0-text", "村集体经济薄弱，增收渠道单一（浏览器修改）")
    with page.expect_navigation():
        page.click("#confirm-import")
    assert "导入成功：4个整改任务" in page.content()
    page.goto(f"{live_server.url}/org/tasks?q=浏览器修改")
    assert page.locator("#task-table tbody tr").count() == 1
    db.session.rollback()
    texts = db.session.scalars(select(Task.problem_text).order_by(Task.ledger_position)).all()
    assert texts[2] == "村集体经济薄弱，增收渠道单一（浏览器修改）" and len(texts) == 4


def test_ledger_download_opens_in_openpyxl(page, live_server, db, tmp_path):
    world = build_world(db.session)
    browser_login(page, live_server.url, "zzb")
    page.goto(f"{live_server.url}/ledger/")
    page.uncheck(f"input[name=review][value='{world.review_a_only.id}']")
    page.check(f"input[name=review][value='{world.review.id}']")
    with page.expect_download() as info:
        page.click("#download-ledger")
    download = info.value
    assert download.suggested_filename.startswith("整改台账-") and download.suggested_filename.endswith(".xlsx")
    target = tmp_path / "ledger.xlsx"
    download.save_as(target)
    book = openpyxl.load_workbook(target)
    assert len(book.sheetnames) == 1
    rows = list(book.active.iter_rows(min_row=3, values_only=True))  # after the title and 填报 rows
    assert rows[0][:4] == ("序号", "责任单位", "责任人", "问题描述")
    assert len(rows) == 1 + 5


def test_pages_fit_a_375px_phone(mobile_page, live_server, db):
    world = build_world(db.session)
    browser_login(mobile_page, live_server.url, "zzb")
    for path in ("/org/", "/org/tasks", f"/org/tasks/{world.awaiting.id}", "/org/units", "/imports/", "/ledger/"):
        mobile_page.goto(live_server.url + path)
        overflow = mobile_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (path, overflow)
