"""The 问题清单 workbooks of the corpus agree with their sidecars (they are data for the Excel import)."""
import datetime as dt
import json
from pathlib import Path

import pytest

WORKBOOKS = Path(__file__).resolve().parents[1] / "corpus" / "workbooks"
NAMES = sorted(p.name.removesuffix(".expected.json") for p in WORKBOOKS.glob("*.expected.json"))


def test_there_are_five_workbooks_one_with_a_bad_row_and_some_with_merged_units():
    expected = [json.loads((WORKBOOKS / f"{n}.expected.json").read_text(encoding="utf-8")) for n in NAMES]
    assert len(NAMES) == 5
    assert sum(len(e["bad_rows"]) for e in expected) == 1
    assert {e["header_row"] for e in expected} >= {1, 2, 3}


@pytest.mark.parametrize("name", NAMES)
def test_workbook_matches_its_sidecar(name):
    openpyxl = pytest.importorskip("openpyxl")
    expected = json.loads((WORKBOOKS / f"{name}.expected.json").read_text(encoding="utf-8"))
    sheet = openpyxl.load_workbook(WORKBOOKS / f"{name}.xlsx")[expected["sheet"]]
    header = [c.value for c in sheet[expected["header_row"]]]
    assert header[expected["columns"]["unit"] - 1] == "责任单位"
    assert header[expected["columns"]["problem"] - 1] in ("问题描述", "存在问题")
    assert sheet.max_row - expected["header_row"] == expected["rows"]

    def unit_at(row):
        cell = sheet.cell(row, expected["columns"]["unit"])
        for merged in sheet.merged_cells.ranges:
            if cell.coordinate in merged:
                return sheet.cell(merged.min_row, merged.min_col).value
        return cell.value

    for problem in expected["problems"]:
        assert str(sheet.cell(problem["row"], expected["columns"]["problem"]).value).startswith(problem["text"])
        assert unit_at(problem["row"]) == problem["unit"]
    for bad in expected["bad_rows"]:
        deadline = sheet.cell(bad["row"], expected["columns"]["deadline"]).value
        assert not isinstance(deadline, dt.date)
