"""The 整改台账 workbook: exact columns, 点评 order, text never a formula; who may download what."""
import io
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import openpyxl
import pytest

from tests.factories import make_review, make_task
from tests.web_org.conftest import today
from tests.webhelpers import login
from tracker.models import ProgressUpdate, UpdateKind
from tracker.services.ledger import COLUMNS, sheet_title
from tracker.timeutil import cn_date

EXPECTED_COLUMNS = ["序号", "责任单位", "责任人", "问题描述", "整改措施", "整改时限", "整改类型", "整改进展 / 完成情况",
                    "佐证材料", "状态", "销号时间", "验收评价", "督办等级", "备注"]
FIRST = 4  # title row, 填报单位 / 填报日期, header, then the tasks
INJECTIONS = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1:A2)"]


def workbook(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return openpyxl.load_workbook(io.BytesIO(response.data))


def test_columns_constant_is_exact():
    assert COLUMNS == EXPECTED_COLUMNS


def test_workbook_rows_in_comment_order_with_text_cells(client, db, world):
    review = make_review(db.session, title="台账:测试/[第1次]*?会议" + "很长" * 20)
    d = today() + timedelta(days=15)
    # created out of order: the ledger follows ledger_position, not ids
    tasks = [make_task(db.session, world.unit_a, world.users["secretary_own"], review, deadline=d, text=t)
             for t in INJECTIONS]
    for task, position in zip(tasks, (3, 1, 4, 2)):
        task.ledger_position = position
    tasks[1].measures = "=cmd|' /C calc'!A0"
    tasks[2].deadline, tasks[2].task_type = None, "长期坚持"
    tasks[3].status, tasks[3].closed_at = "已销号", datetime(2026, 3, 30, 20, tzinfo=timezone.utc)
    tasks[3].escalation_level = 2
    db.session.add(ProgressUpdate(task_id=tasks[0].id, kind=UpdateKind.PROGRESS, body="第一次进展",
                                  created_at=datetime(2026, 3, 1, tzinfo=timezone.utc)))
    db.session.add(ProgressUpdate(task_id=tasks[0].id, kind=UpdateKind.PROGRESS, body="最新进展",
                                  created_at=datetime(2026, 3, 9, tzinfo=timezone.utc)))
    db.session.commit()
    login(client, "zzb")
    response = client.get(f"/ledger/download?review={review.id}")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "filename*=UTF-8''" + quote("整改台账-") in disposition
    book = workbook(response)
    assert len(book.sheetnames) == 1
    sheet = book[book.sheetnames[0]]
    assert len(sheet.title) <= 31 and not set(sheet.title) & set("[]:*?/\\")
    assert sheet.freeze_panes == "A4"
    assert sheet["A1"].value == "××县2026年度述职评议点评问题整改台账" or "整改台账" in sheet["A1"].value
    assert [c.value for c in sheet[3]] == EXPECTED_COLUMNS
    assert sheet.column_dimensions["D"].width >= 40 and sheet["D4"].alignment.wrap_text
    rows = list(sheet.iter_rows(min_row=FIRST, values_only=True))
    by_position = sorted(tasks, key=lambda t: t.ledger_position)
    assert [r[3] for r in rows] == [t.problem_text for t in by_position]
    assert [r[0] for r in rows] == [1, 2, 3, 4]
    for row_cells in sheet.iter_rows(min_row=FIRST):
        for cell in row_cells[1:]:
            if cell.value is not None:
                assert cell.data_type == "s", (cell.coordinate, cell.value)
    assert {sheet.cell(row=r, column=4).value for r in range(FIRST, FIRST + 4)} == set(INJECTIONS)
    first = rows[0]  # tasks[1]: "+1+1", measures an injection too
    assert first[1] == "青山镇" and first[2] == "张书记" and first[4] == "=cmd|' /C calc'!A0"
    col = {name: i for i, name in enumerate(EXPECTED_COLUMNS)}
    assert first[col["整改时限"]] == cn_date(d) and first[col["状态"]] == "待整改" and first[col["督办等级"]] == "无"
    second = rows[1]  # tasks[3]: closed 31 March local
    assert second[col["状态"]] == "已销号" and second[col["销号时间"]] == "2026年3月31日"
    assert second[col["督办等级"]] == "约谈"
    assert rows[2][col["整改进展 / 完成情况"]] == "最新进展"
    assert rows[3][col["整改时限"]] == "长期坚持" and rows[3][col["整改类型"]] == "长期坚持"


def test_overall_problem_unit_and_two_reviews_two_sheets(client, db, world):
    login(client, "zzb")
    book = workbook(client.get(f"/ledger/download?review={world.review.id}&review={world.review_a_only.id}"))
    assert len(book.sheetnames) == 2
    first = book[book.sheetnames[0]]
    units = [r[1] for r in first.iter_rows(min_row=FIRST, values_only=True)]
    assert units.count("县委组织部（全县共性问题）") == 1
    assert len(units) == 5


def test_secretary_downloads_only_own_rows(client, world):
    login(client, "sec-a")
    book = workbook(client.get(f"/ledger/download?review={world.review.id}"))
    rows = list(book.active.iter_rows(min_row=FIRST, values_only=True))
    assert {r[1] for r in rows} == {"青山镇"}
    assert sorted(r[3] for r in rows) == sorted([world.awaiting.problem_text, world.overdue.problem_text])
    page = client.get(f"/ledger/print?review={world.review.id}").get_data(as_text=True)
    assert "问题一" in page and "问题三" not in page and "全县共性问题：软弱涣散" not in page


@pytest.mark.parametrize("query", ["", "?review=abc", "?review=99999"])
def test_bad_review_choice_is_404(client, world, query):
    login(client, "zzb")
    assert client.get(f"/ledger/download{query}").status_code == 404


def test_print_page(client, world):
    login(client, "zzb")
    html = client.get(f"/ledger/print?review={world.review.id}").get_data(as_text=True)
    from pathlib import Path

    import tracker

    css = (Path(tracker.__file__).parent / "static" / "app.css").read_text(encoding="utf-8")
    assert "size: A4 landscape" in css and "table.ledger { table-layout:fixed" in css  # never 1 character a line
    assert html.count("<col style=") == len(EXPECTED_COLUMNS) and "填报日期：" in html
    for column in EXPECTED_COLUMNS:
        assert f"<th>{column}</th>" in html
    assert html.index("问题一") < html.index("问题二") < html.index("全县共性问题：软弱涣散")


def test_sheet_titles_are_unique():
    taken = set()
    assert sheet_title("a" * 40, taken) == "a" * 31
    assert sheet_title("a" * 40, taken) == "a" * 28 + "(2)"
    assert sheet_title("[]:*?/\\", set()) == "整改台账"


def test_the_workbook_prints_a4_landscape_one_page_wide_in_fangsong(client, db, world):
    from tracker.models import Evidence

    db.session.add(Evidence(task_id=world.awaiting.id, original_name="整改报告.pdf", stored_name="x1",
                            content_type="application/pdf", size=10, sha256="0" * 64))
    world.awaiting.assessment = None
    db.session.commit()
    login(client, "zzb")
    sheet = workbook(client.get(f"/ledger/download?review={world.review.id}")).active
    assert sheet["A1"].value.endswith("年度述职评议点评问题整改台账") and "县" in sheet["A1"].value
    assert sheet["A2"].value == "填报单位：中共××县委组织部" and sheet["H2"].value.startswith("填报日期：")
    assert [c.value for c in sheet[3]] == EXPECTED_COLUMNS
    assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.print_title_rows == "$3:$3"
    assert sheet["D4"].font.name == "仿宋"
    rows = {r[3]: r for r in sheet.iter_rows(min_row=FIRST, values_only=True)}
    assert rows[world.awaiting.problem_text][EXPECTED_COLUMNS.index("佐证材料")] == "整改报告.pdf"
    closed = rows[world.closed.problem_text]
    assert closed[EXPECTED_COLUMNS.index("验收评价")] == "好"


def test_ledger_page_shows_the_table_with_filters(client, world):
    login(client, "zzb")
    html = client.get(f"/ledger/?review={world.review.id}&status=待销号审核").get_data(as_text=True)
    table = html[html.index('id="ledger-table"'):]
    assert "问题一" in table and "问题二" not in table
    assert "年度述职评议点评问题整改台账" in html
    assert client.get("/ledger/?review=99999").status_code == 404
