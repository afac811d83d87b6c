"""The pure 问题清单 reader: the corpus workbooks, header rows, merged units, bad rows, hostile files."""
import datetime as dt
import json
import time
from pathlib import Path

import pytest

from tests.imports.builders import bomb, huge_dimension, problem_list, zip_of
from tracker.services.problem_list import (MAX_UNCOMPRESSED, WorkbookError, check_archive, parse_deadline,
                                           read_layout, read_rows)

WORKBOOKS = Path(__file__).resolve().parents[1] / "corpus" / "workbooks"
NAMES = sorted(p.name.removesuffix(".expected.json") for p in WORKBOOKS.glob("*.expected.json"))


@pytest.mark.parametrize("name", NAMES)
def test_corpus_workbooks_read_as_their_sidecars_say(name):
    expected = json.loads((WORKBOOKS / f"{name}.expected.json").read_text(encoding="utf-8"))
    data = (WORKBOOKS / f"{name}.xlsx").read_bytes()
    layout = read_layout(data)
    assert (layout.sheet, layout.header_row) == (expected["sheet"], expected["header_row"])
    assert {k: v for k, v in layout.mapping.items() if v} == expected["columns"]
    result = read_rows(data, sheet=layout.sheet, header_row=layout.header_row, mapping=layout.mapping)
    assert [{"row": r.number, "unit": r.unit, "text": r.problem[:12]} for r in result.rows] == expected["problems"]
    assert [{"row": b.number, "reason": b.reason} for b in result.bad_rows] == expected["bad_rows"]
    assert list(dict.fromkeys(r.unit for r in result.rows)) == expected["units"]


def test_header_on_row_three_merged_unit_and_bad_row():
    data = problem_list()
    layout = read_layout(data)
    assert layout.header_row == 3 and layout.title == "县委第三巡察组巡察反馈问题整改清单"
    assert layout.mapping["unit"] == 2 and layout.mapping["problem"] == 3 and layout.mapping["deadline"] == 5
    result = read_rows(data, sheet=layout.sheet, header_row=3, mapping=layout.mapping)
    assert [(r.number, r.unit) for r in result.rows] == [(4, "青山镇"), (5, "青山镇"), (7, "东湖街道")]
    assert result.rows[0].deadline == dt.date(2099, 5, 31) and result.rows[0].measures == "修订议事规则"
    assert result.rows[1].task_type == "长期坚持" and result.rows[1].deadline is None
    assert result.rows[2].deadline == dt.date(2099, 6, 30) and result.rows[2].owner == "王五"
    assert [(b.number, b.reason, b.raw_deadline) for b in result.bad_rows] == [(6, "整改时限不是日期", "2099年13月40日")]


def test_rows_without_unit_or_problem_are_bad_and_empty_rows_are_skipped():
    rows = [[1, "青山镇", "问题一", None, None, None, None],
            [None, None, None, None, None, None, None],
            [2, None, "没有单位的问题", None, None, None, None],
            [3, "绿水乡", None, "只有措施", None, None, None]]
    data = problem_list(rows, merges=())
    layout = read_layout(data)
    result = read_rows(data, sheet=layout.sheet, header_row=layout.header_row, mapping=layout.mapping)
    assert [r.number for r in result.rows] == [4]
    assert [(b.number, b.reason) for b in result.bad_rows] == [(6, "没有责任单位"), (7, "没有问题描述")]


def test_a_mapping_without_the_problem_column_is_refused():
    data = problem_list()
    with pytest.raises(WorkbookError, match="问题描述"):
        read_rows(data, sheet="问题清单", header_row=3, mapping={"unit": 2, "problem": None})


@pytest.mark.parametrize("value, expected", [
    (dt.date(2025, 3, 31), ("", dt.date(2025, 3, 31), None)),
    (dt.datetime(2025, 3, 31, 0, 0), ("", dt.date(2025, 3, 31), None)),
    ("2025年6月30日", ("", dt.date(2025, 6, 30), None)),
    ("2025-06-30", ("", dt.date(2025, 6, 30), None)),
    ("2025.6.30前", ("", dt.date(2025, 6, 30), None)),
    ("2025年6月底", ("", dt.date(2025, 6, 30), None)),
    ("2025年12月", ("", dt.date(2025, 12, 31), None)),
    ("立行立改", ("立行立改", None, None)),
    ("长期坚持", ("长期坚持", None, None)),
    (None, ("", None, None)),
    ("2025年13月40日", ("", None, "整改时限不是日期")),
    ("尽快", ("", None, "整改时限不是日期")),
])
def test_deadlines(value, expected):
    assert parse_deadline(value) == expected


def test_not_a_zip_and_a_zip_without_a_workbook():
    with pytest.raises(WorkbookError, match="不是有效的 .xlsx 文件"):
        check_archive(b"\xd0\xcf\x11\xe0 an old .xls")
    with pytest.raises(WorkbookError, match="没有工作簿"):
        check_archive(zip_of({"word/document.xml": b"<w/>"}))
    with pytest.raises(WorkbookError, match="文件是空的"):
        check_archive(b"")


def test_bomb_refused_before_inflating_in_well_under_a_second():
    data = bomb()
    assert len(data) < 200 * 1024
    started = time.perf_counter()
    with pytest.raises(WorkbookError, match="压缩炸弹"):
        read_layout(data)
    assert time.perf_counter() - started < 0.5


def test_a_member_compressed_too_far_is_refused():
    data = bomb(size=5 * 1024 * 1024)
    assert 5 * 1024 * 1024 < MAX_UNCOMPRESSED
    with pytest.raises(WorkbookError, match="压缩比超过"):
        check_archive(data)


def test_sheet_dimension_limit_and_entities():
    with pytest.raises(WorkbookError, match="工作表过大"):
        check_archive(huge_dimension())
    entity = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><worksheet><dimension ref="A1:B2"/>'
              b"</worksheet>")
    with pytest.raises(WorkbookError, match="实体"):
        check_archive(zip_of({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": entity}))
