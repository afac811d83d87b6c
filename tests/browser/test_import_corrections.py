"""Imports in a real Chromium: a unit the reader could not read is corrected in one click; a 问题清单 .xlsx with a
merged unit cell and one bad row."""
from sqlalchemy import select

from tests.imports.builders import UNPLACED_PARAGRAPH, UNPLACED_TEXT, UNPLACED_UNIT, problem_list
from tests.webhelpers import browser_login, quick_user
from tracker.models import Review, Role, Task


def _org_login(page, live_server, db):
    quick_user(db.session, Role.ORG_DEPT, username="zzb", name="王组织")
    db.session.commit()
    browser_login(page, live_server.url, "zzb")


def _upload(page, live_server, path):
    page.goto(f"{live_server.url}/imports/")
    page.set_input_files("#document", str(path))
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")


def test_warned_unit_marked_from_its_paragraph_then_tasks_found(page, live_server, db, tmp_path):
    _org_login(page, live_server, db)
    document = tmp_path / "述职评议.txt"
    document.write_text(UNPLACED_UNIT, encoding="utf-8")
    _upload(page, live_server, document)
    assert page.text_content("#units-to-check") == "1个单位需要核对"
    assert "没有识别出问题" in page.text_content("#section-1 .warning")
    assert page.input_value(f"#para{UNPLACED_PARAGRAPH}-text") == UNPLACED_TEXT
    assert page.input_value(f"#para{UNPLACED_PARAGRAPH}-to") == "1"  # this unit, preselected
    with page.expect_navigation():
        page.click(f"#mark-{UNPLACED_PARAGRAPH}")
    assert page.input_value("#s1-p0-text") == UNPLACED_TEXT
    assert page.locator("#units-to-check").count() == 0
    assert page.input_value("#held_on") == "2026-01-20"  # read from the document's first line
    # a selected part of a paragraph (import_preview.js keeps only the selection)
    page.evaluate("""() => { const f = document.getElementById('para5-text');
                             const at = f.value.indexOf('台账管理不规范。');
                             f.focus(); f.setSelectionRange(at, at + '台账管理不规范。'.length); }""")
    with page.expect_navigation():
        page.click("#mark-5")
    assert page.input_value("#s0-p2-text") == "台账管理不规范。"
    with page.expect_navigation():
        page.click("#confirm-import")
    assert "导入成功：4个整改任务" in page.content()
    page.goto(f"{live_server.url}/org/tasks?q=三会一课")
    assert page.locator("#task-table tbody tr").count() == 1
    assert "绿水乡" in page.text_content("#task-table tbody tr")
    db.session.rollback()
    assert db.session.scalar(select(Task.problem_text).where(Task.problem_text == UNPLACED_TEXT)) == UNPLACED_TEXT


def test_problem_list_with_a_merged_unit_and_a_bad_row(page, live_server, db, tmp_path):
    _org_login(page, live_server, db)
    workbook = tmp_path / "巡察反馈问题清单.xlsx"
    workbook.write_bytes(problem_list())
    _upload(page, live_server, workbook)
    assert page.input_value("#header_row") == "3"
    assert page.input_value("#col-unit") == "2" and page.input_value("#col-problem") == "3"
    with page.expect_navigation():
        page.click("#apply-mapping")
    assert "识别到 2 个单位，共 3 个问题" in page.content()
    assert "第6行" in page.text_content("#bad0") and "整改时限不是日期" in page.text_content("#bad0")
    assert page.input_value("#s0-p1-text").startswith("党费收缴不及时")  # row 5: 青山镇 by the merged cell
    page.fill("#held_on", "2026-03-10")
    with page.expect_navigation():
        page.click("#confirm-import")
    assert "第6行：整改时限不是日期" in page.text_content("#bad0")  # not excluded silently
    page.check("#bad0-exclude")
    with page.expect_navigation():
        page.click("#confirm-import")
    assert "导入成功：3个整改任务" in page.content()
    db.session.rollback()
    review = db.session.scalar(select(Review))
    assert (review.kind, review.held_on.isoformat()) == ("巡察", "2026-03-10")
    units = [t.unit.name for t in db.session.scalars(select(Task).order_by(Task.ledger_position))]
    assert units == ["青山镇", "青山镇", "东湖街道"]
