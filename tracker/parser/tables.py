"""Layout (d): 点评 kept in a .docx table, turned into the labelled text the reader understands.

A table with a header row (单位 | 书记 | 主要成绩 | 存在问题 | 努力方向 …) gives one heading and one
labelled 点评 per row; a row "存在问题 | text" gives "【存在问题】" and the text, so a label never
becomes part of a problem.
"""
import re

from .cues import label_kind

_UNIT_COLUMN = re.compile(r"^(?:述职)?(?:单位|单位名称|责任单位|乡镇|部门|党组织|述职单位)$")
_NAME_COLUMN = re.compile(r"^(?:姓名|书记|述职人|书记姓名|党组织书记|述职人姓名)$")
_TITLE_COLUMN = re.compile(r"^(?:职务|职位)$")
_COMMENT_COLUMN = re.compile(r"^(?:点评|点评意见|点评内容)$")
_NUMBER_COLUMN = re.compile(r"^(?:序号|编号|No\.?)$", re.IGNORECASE)
_PART_KINDS = {"problems": "存在问题", "strengths": "工作亮点", "expectations": "努力方向"}


def unique_cells(row) -> list:
    seen, cells = set(), []
    for cell in row.cells:  # a merged cell is returned once per grid column it spans
        if id(cell._tc) not in seen:
            seen.add(id(cell._tc))
            cells.append(cell)
    return cells


def _paragraphs(cell) -> list[str]:
    return [p.text.strip() for p in cell.paragraphs if p.text.strip()]


def header_table_lines(table) -> list[str] | None:
    """Lines for a table with one row per unit, or None when the table has no such header."""
    rows = [unique_cells(row) for row in table.rows]
    if len(rows) < 2:
        return None
    header = [cell.text.strip().replace(" ", "").rstrip("：:") for cell in rows[0]]
    columns = {}
    for number, name in enumerate(header):
        for key, regex in (("unit", _UNIT_COLUMN), ("name", _NAME_COLUMN), ("title", _TITLE_COLUMN),
                           ("comment", _COMMENT_COLUMN), ("number", _NUMBER_COLUMN)):
            if regex.match(name):
                columns.setdefault(key, number)
        kind = label_kind(name) if len(name) <= 8 else None
        if kind in _PART_KINDS and number not in columns.values():
            columns.setdefault(kind, number)
    if "unit" not in columns or not ({"problems", "comment"} & set(columns)):
        return None
    units: list[dict] = []  # rows of one unit (a merged 单位 cell, or the same name again) are one 点评
    for cells in rows[1:]:
        def text(key, cells=cells):
            return cells[columns[key]].text.strip() if key in columns and columns[key] < len(cells) else ""
        unit = text("unit")
        if not unit:
            continue
        if units and units[-1]["unit"] == unit:
            parts = units[-1]["parts"]
        else:
            units.append({"unit": unit, "name": text("name"), "title": text("title"), "parts": {}})
            parts = units[-1]["parts"]
        for kind in ("strengths", "problems", "expectations", "comment"):
            if kind in columns and columns[kind] < len(cells):
                found = [p for p in _paragraphs(cells[columns[kind]]) if p not in parts.get(kind, [])]
                parts.setdefault(kind, []).extend(found)
    lines: list[str] = []
    for position, unit in enumerate(units, start=1):
        who = f"{unit['title']}{unit['name']}同志" if unit["name"] else ""
        lines.append(f"{position}、请{unit['unit']}{who}述职。")
        lines.append("点评：")
        for kind in ("strengths", "problems", "expectations", "comment"):
            if kind in unit["parts"]:
                if kind != "comment":
                    lines.append(f"【{_PART_KINDS[kind]}】")
                lines.extend(unit["parts"][kind])
    return lines


def label_row_lines(cells) -> list[str] | None:
    """"存在问题 | text" as "【存在问题】" and the text's paragraphs; None for any other row."""
    if len(cells) != 2:
        return None
    label = cells[0].text.strip().rstrip("：:")
    if not label or len(label) > 8 or re.search(r"[，,。；;]", label):
        return None
    kind = label_kind(label)
    if kind not in _PART_KINDS:
        return None
    return [f"【{label}】"] + _paragraphs(cells[1])


def vertical_table_lines(table) -> list[str] | None:
    """A table per unit with one label | value row each (单位 | 青山镇, 述职人 | 李华, 存在问题 | …)."""
    rows = [unique_cells(row) for row in table.rows]
    if len(rows) < 2 or any(len(cells) != 2 for cells in rows):
        return None
    labels = [cells[0].text.strip().replace(" ", "").rstrip("：:") for cells in rows]
    unit_at = next((i for i, label in enumerate(labels) if _UNIT_COLUMN.match(label)), None)
    if unit_at is None or not any(label_kind(label) in ("problems",) for label in labels if len(label) <= 8):
        return None
    value = {key: next((rows[i][1].text.strip() for i, label in enumerate(labels) if regex.match(label)), "")
             for key, regex in (("name", _NAME_COLUMN), ("title", _TITLE_COLUMN))}
    who = f"{value['title']}{value['name']}同志" if value["name"] else ""
    lines = [f"请{rows[unit_at][1].text.strip()}{who}述职。", "点评："]
    for label, cells in zip(labels, rows):
        if _COMMENT_COLUMN.match(label):
            lines.extend(_paragraphs(cells[1]))
        elif len(label) <= 8 and label_kind(label) in _PART_KINDS:
            lines.append(f"【{_PART_KINDS[label_kind(label)]}】")
            lines.extend(_paragraphs(cells[1]))
    return lines
