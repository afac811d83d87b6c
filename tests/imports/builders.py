"""Test inputs for the imports: 问题清单 workbooks built with openpyxl, hostile zips, a transcript the reader
cannot fully place."""
import datetime as dt
import io
import zipfile

# 绿水乡's 点评 has no word the reader takes for a problem: it warns, and paragraph 10 is the problem.
UNPLACED_UNIT = """2026年1月20日
同志们：
今天召开2026年度全县党组织书记抓基层党建工作述职评议会议。
一、首先请青山镇党委书记张三同志述职。
※※※※※※
点评：青山镇党建工作扎实。但还存在以下问题：一是台账管理不规范。二是党员教育管理不到位，组织生活不经常。
希望张三同志进一步压实责任。
二、请绿水乡党委书记李四同志述职。
※※※※※※
点评：绿水乡工作有成效，群众评价较好。
村里的会议记录多处空白，三会一课时有时无。
希望李四同志加大力度。
"""
UNPLACED_PARAGRAPH = 10
UNPLACED_TEXT = "村里的会议记录多处空白，三会一课时有时无。"

HEADER = ["序号", "责任单位", "存在问题", "整改措施", "整改时限", "责任人", "备注"]


def problem_list(rows=None, *, title_rows=("县委第三巡察组巡察反馈问题整改清单", "（2026年3月印发）"),
                 header=HEADER, merges=(("B", 4, 5),)) -> bytes:
    """Header on row 3 (two title rows above), 青山镇 merged over rows 4-5, row 6 a date that is not a date."""
    from openpyxl import Workbook

    if rows is None:
        rows = [[1, "青山镇", "党委会议事规则不健全，记录不完整", "修订议事规则", dt.date(2099, 5, 31), "张三", None],
                [2, None, "党费收缴不及时，个别支部欠缴", "开展专项检查", "长期坚持", "张三", None],
                [3, "绿水乡", "驻村工作队在岗率偏低", "实行每日打卡", "2099年13月40日", "李四", None],
                [4, "东湖街道", "网格员流失率较高", "提高待遇保障", "2099年6月30日", "王五", "限期"]]
    book = Workbook()
    sheet = book.active
    sheet.title = "问题清单"
    for text in title_rows:
        sheet.append([text])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for column, first, last in merges:
        sheet.merge_cells(f"{column}{first}:{column}{last}")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def bomb(size: int = 40 * 1024 * 1024) -> bytes:
    """A few hundred KB that would inflate to `size` bytes of worksheet."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as stream:
            chunk = b" " * (1024 * 1024)
            for _ in range(size // len(chunk)):
                stream.write(chunk)
    return buffer.getvalue()


def huge_dimension() -> bytes:
    sheet = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet><dimension ref="A1:G900000"/>'
             b"<sheetData/></worksheet>")
    return zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                   "xl/worksheets/sheet1.xml": sheet})
