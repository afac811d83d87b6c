"""问题清单 workbooks in the import preview: the column-mapping step, then the same preview as a transcript.

The state is the preview's (import_preview), with source_kind "workbook", the layout under "workbook" and the
rows that could not be read under "bad_rows" (each excluded only when the user ticks it).
"""
from dataclasses import asdict
from datetime import date

from tracker.models import ReviewKind, TaskType
from tracker.services.errors import DomainError
from tracker.services.import_actions import NEW_UNIT, find_meeting_date, new_problem, refresh_owner
from tracker.services.importer import is_anonymised
from tracker.services.problem_list import FIELDS, Layout, parse_deadline, read_rows
from tracker.timeutil import cn_date


def guess_kind(*texts: str) -> str:
    joined = "".join(texts)
    return ReviewKind.INSPECTION if "巡察" in joined else ReviewKind.AUDIT if "审计" in joined else ReviewKind.OTHER


def mapping_state(layout: Layout, *, filename: str, default_type: str, default_deadline: date) -> dict:
    """The first step: the columns as guessed from the headers, for the user to check."""
    return {
        "source_kind": "workbook", "stage": "mapping", "review_kind": guess_kind(layout.title, filename),
        "title": layout.title or filename.rsplit(".", 1)[0], "held_on": "", "held_on_note": "",
        "default_type": default_type, "default_deadline": default_deadline.isoformat(),
        "workbook": {"sheet": layout.sheet, "sheets": layout.sheets, "header_row": layout.header_row,
                     "columns": [asdict(c) for c in layout.columns], "mapping": dict(layout.mapping)},
        "sections": [], "overall": [], "warnings": [], "unplaced": [], "assigned": {}, "bad_rows": [],
    }


def update_mapping(state: dict, form) -> None:
    book = state["workbook"]
    if form.get("sheet") in book["sheets"]:
        book["sheet"] = form["sheet"]
    try:
        book["header_row"] = int(form.get("header_row", book["header_row"]))
    except ValueError:
        raise DomainError("表头行号应是一个数字") from None
    for name in FIELDS:
        value = form.get(f"col-{name}")
        if value is not None:
            book["mapping"][name] = int(value) if value.isdigit() else None


def apply_mapping(state: dict, data: bytes, *, units_by_name: dict[str, int],
                  secretaries: dict[int, tuple[int, str]], today: date) -> None:
    """Reads every row with the chosen columns and turns the state into the preview."""
    book = state["workbook"]
    result = read_rows(data, sheet=book["sheet"], header_row=book["header_row"], mapping=book["mapping"])
    state["sections"], state["bad_rows"] = [], []
    for row in result.rows:
        _add_row(state, row.number, row.unit, row.problem, row.task_type, row.deadline, row.measures, row.owner,
                 units_by_name, secretaries)
    state["bad_rows"] = [{"row": b.number, "reason": b.reason, "unit": b.unit, "problem": b.problem,
                          "deadline": b.raw_deadline, "owner": b.owner, "measures": b.measures, "excluded": False}
                         for b in result.bad_rows]
    state["stage"] = "preview"
    found = find_meeting_date([state["title"], result.layout.title], today=today)
    if found and not state.get("held_on"):
        state["held_on"] = found.isoformat()
    state["held_on_note"] = (f"日期取自表头：{cn_date(found)}" if found else "请填写反馈（下发）日期")
    rows = len(result.rows) + len(result.bad_rows)
    state["warnings"] = [f"读取了工作表“{book['sheet']}”第 {book['header_row'] + 1} 行起的 {rows} 行："
                         f"{len(result.rows)} 个问题"
                         + (f"，{len(result.bad_rows)} 行有误（见下方，需改正或明确不导入）" if result.bad_rows else "")]


def _add_row(state, number, unit, problem, task_type, deadline, measures, owner, units_by_name, secretaries):
    section = next((s for s in state["sections"] if s["unit_name"] == unit), None)
    if section is None:
        known = None if is_anonymised(unit) else units_by_name.get(unit)
        section = {"unit_name": unit, "unit_kind": "", "mapping": str(known) if known else NEW_UNIT,
                   "secretary": owner, "secretary_title": "", "strengths": "", "expectations": "", "comment": "",
                   "heading": "", "problems": [], "warnings": [], "source": []}
        refresh_owner(section, secretaries)
        state["sections"].append(section)
    default_deadline = state.get("default_deadline", "")
    kind = task_type or state.get("default_type") or TaskType.TIME_LIMITED
    if deadline is not None:
        kind, when = (TaskType.TIME_LIMITED if kind == TaskType.ONGOING else kind), deadline.isoformat()
    else:
        when = "" if kind == TaskType.ONGOING else default_deadline
    section["problems"].append(new_problem(problem, kind, when, row=number, measures=measures, person=owner))


def fix_bad_row(state: dict, number: int, *, units_by_name: dict[str, int],
                secretaries: dict[int, tuple[int, str]]) -> None:
    """A bad row the user corrected joins its unit's problems; still bad: says why."""
    rows = state.get("bad_rows", [])
    if not 0 <= number < len(rows):
        raise DomainError("要改正的行不存在，请刷新预览")
    bad = rows[number]
    if not bad["unit"].strip():
        raise DomainError(f"第{bad['row']}行：请填写责任单位")
    if not bad["problem"].strip():
        raise DomainError(f"第{bad['row']}行：请填写问题描述")
    task_type, deadline, error = parse_deadline(bad["deadline"])
    if error:
        raise DomainError(f"第{bad['row']}行：整改时限“{bad['deadline']}”不是日期（可写 2025-06-30、2025年6月30日、"
                          "立行立改或长期坚持，或留空用默认时限）")
    _add_row(state, bad["row"], bad["unit"].strip(), bad["problem"].strip(), task_type, deadline,
             bad.get("measures", ""), bad.get("owner", ""), units_by_name, secretaries)
    del rows[number]

