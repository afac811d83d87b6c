"""整改台账: the rows of a review's ledger, and the .xlsx workbook built from them (openpyxl)."""
import io
import re
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from sqlalchemy import func, or_, select

from tracker.models import (
    EscalationLevel,
    Evidence,
    ProgressUpdate,
    Review,
    Task,
    TaskStatus,
    TaskType,
    Unit,
    UpdateKind,
    User,
)
from tracker.proposals.visibility import owner_level_label
from tracker.services.dashboard import OVERALL_UNIT_LABEL, escape_like
from tracker.timeutil import cn_date

# The conventional 整改台账, in the order the county's sheets have always had.
COLUMNS = ["序号", "责任单位", "责任人", "问题描述", "整改措施", "整改时限", "整改类型", "整改进展 / 完成情况",
           "佐证材料", "状态", "销号时间", "验收评价", "督办等级", "备注"]
WIDTHS = [5, 14, 12, 40, 32, 13, 9, 32, 18, 9, 13, 8, 8, 14]
BODY_FONT = "仿宋"
TITLE_ROW, META_ROW, HEADER_ROW = 1, 2, 3
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class LedgerRow:
    number: int
    unit: str
    owner: str
    problem: str
    measures: str
    task_type: str
    deadline: str
    progress: str
    status: str
    closed_on: str
    level: str
    evidence: str = ""
    assessment: str = ""
    remark: str = ""

    def cells(self) -> list:
        return [self.number, self.unit, self.owner, self.problem, self.measures, self.deadline, self.task_type,
                self.progress, self.evidence, self.status, self.closed_on, self.assessment, self.level, self.remark]


@dataclass(frozen=True)
class LedgerFilters:
    """The ledger screen's filters: a 责任单位 as the ledger names it, a 状态, text in the 问题 or the 措施."""

    unit: str = ""
    status: str = ""
    q: str = ""


def _scope(review_id: int, unit_id: int | None) -> list:
    scope = [Task.review_id == review_id]
    if unit_id is not None:  # a secretary: their unit's own rows, never the 全县共性问题
        scope += [Task.unit_id == unit_id, Task.is_overall.is_(False)]
    return scope


def ledger_select(review_id: int, *, unit_id: int | None = None, filters: LedgerFilters = LedgerFilters()):
    """The review's ledger as a select() of (Task, unit name, owner name, latest 整改进展, 序号), in 点评 order.

    序号 is the row's place in the whole ledger (numbered before the filters), so a filtered row keeps the
    number it has in the downloaded sheet.
    """
    latest_progress = (  # the latest 整改进展 or 申请销号's 完成情况
        select(ProgressUpdate.body)
        .where(ProgressUpdate.task_id == Task.id,
               ProgressUpdate.kind.in_((UpdateKind.PROGRESS, UpdateKind.CLOSURE_REQUEST)))
        .order_by(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc())
        .limit(1).correlate(Task).scalar_subquery()
    )
    numbered = (select(Task.id.label("task_id"),
                       func.row_number().over(order_by=(Task.ledger_position, Task.id)).label("number"))
                .where(*_scope(review_id, unit_id)).subquery())
    query = (
        select(Task, Unit.name.label("unit_name"), User.name.label("owner_name"), latest_progress.label("progress"),
               numbered.c.number)
        .join(numbered, numbered.c.task_id == Task.id)
        .outerjoin(Unit, Unit.id == Task.unit_id)
        .outerjoin(User, User.id == Task.owner_id)
        .order_by(numbered.c.number)
    )
    if filters.unit == OVERALL_UNIT_LABEL:
        query = query.where(or_(Task.is_overall.is_(True), Task.unit_id.is_(None)))
    elif filters.unit:
        query = query.where(Unit.name == filters.unit, Task.is_overall.is_(False))
    if filters.status:
        query = query.where(Task.status == filters.status)
    if filters.q:
        pattern = f"%{escape_like(filters.q)}%"
        query = query.where(or_(Task.problem_text.ilike(pattern, escape="\\"),
                                func.coalesce(Task.measures, "").ilike(pattern, escape="\\")))
    return query


def ledger_count(session, review_id: int, *, unit_id: int | None = None) -> int:
    """How many rows the whole ledger has (before the screen's filters)."""
    return session.scalar(select(func.count(Task.id)).where(*_scope(review_id, unit_id))) or 0


def ledger_unit_names(session, review_id: int) -> list[str]:
    """The 责任单位 of the review's ledger, as its rows name them (the 全县共性问题 under their own label)."""
    found = session.execute(select(Task.is_overall, Task.unit_id.is_(None), Unit.name).distinct()
                            .outerjoin(Unit, Unit.id == Task.unit_id).where(Task.review_id == review_id))
    return sorted({OVERALL_UNIT_LABEL if overall or no_unit else (name or "") for overall, no_unit, name in found})


def rows_of(session, results, *, owners_view: bool = False, tz: str | None = None) -> list[LedgerRow]:
    """LedgerRows of ledger_select()'s results (a page of them, or all): their 佐证材料 in one query.

    owners_view: a secretary's ledger stops at 督办 (约谈 and 通报 are proposals until people decide)."""
    results = list(results)
    files = _evidence_names(session, [result[0].id for result in results])
    return [_row(number, task, unit_name=unit_name, owner_name=owner_name, progress=progress,
                 files=files.get(task.id, []), owners_view=owners_view, tz=tz)
            for task, unit_name, owner_name, progress, number in results]


def ledger_rows(session, review: Review, *, unit_id: int | None = None, tz: str | None = None) -> list[LedgerRow]:
    """The review's whole ledger in 点评 order; with unit_id, only that unit's own rows (for its secretary)."""
    return rows_of(session, session.execute(ledger_select(review.id, unit_id=unit_id)),
                   owners_view=unit_id is not None, tz=tz)


def _row(number: int, task: Task, *, unit_name: str | None, owner_name: str | None, progress: str | None,
         files: list[str], owners_view: bool, tz: str | None) -> LedgerRow:
    owner = owner_name or ""
    if task.responsible_person:
        owner = f"{owner}；具体责任人：{task.responsible_person}" if owner else task.responsible_person
    return LedgerRow(
        number=number,
        unit=OVERALL_UNIT_LABEL if task.is_overall or task.unit_id is None else (unit_name or ""),
        owner=owner,
        problem=task.problem_text,
        measures=task.measures or "",
        task_type=task.task_type,
        deadline=TaskType.ONGOING.value if task.deadline is None else cn_date(task.deadline),
        progress=progress or "",
        status=task.status,
        closed_on=cn_date(task.closed_at, tz),
        evidence="\n".join(files),
        assessment=task.assessment or "",
        remark=_remark(task, bool(files)),
        level=(owner_level_label(task.escalation_level) if owners_view else
               EscalationLevel.LABELS.get(task.escalation_level, str(task.escalation_level))),
    )


def _evidence_names(session, task_ids: list[int]) -> dict[int, list[str]]:
    """佐证材料 file names per task: one query."""
    names: dict[int, list[str]] = {}
    if task_ids:
        for task_id, name in session.execute(select(Evidence.task_id, Evidence.original_name)
                                             .where(Evidence.task_id.in_(task_ids))
                                             .order_by(Evidence.task_id, Evidence.id)):
            names.setdefault(task_id, []).append(name)
    return names


def _remark(task: Task, has_files: bool) -> str:
    notes = []
    if task.round > 1:
        notes.append(f"二次整改（第{task.round}轮）")
    if task.status == TaskStatus.AWAITING_VERIFICATION and not has_files:
        notes.append("无佐证材料")
    return "；".join(notes)


def ledger_title(review: Review, org_name: str) -> str:
    """××县××年度述职评议点评问题整改台账: the county from the department's name, the year from the review."""
    county = org_name.removeprefix("中共").split("县委")[0] + "县" if "县委" in org_name else org_name
    found = re.search(r"(\d{4})年度", review.title or "")
    year = found.group(1) if found else str(review.held_on.year)
    return f"{county}{year}年度述职评议点评问题整改台账"


def sheet_title(title: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    base = _BAD_SHEET_CHARS.sub("", title or "").strip().strip("'") or "整改台账"
    candidate, n = base[:31], 1
    while candidate.lower() in taken:
        n += 1
        suffix = f"({n})"
        candidate = base[: 31 - len(suffix)] + suffix
    taken.add(candidate.lower())
    return candidate


def _text_cell(cell, value) -> None:
    """Text stays text: "=..." (or +, -, @) must never become a formula when the sheet is opened.

    Control characters (Word's soft line break \x0b, pasted \x07 …) are not allowed in xlsx: openpyxl
    refuses them, which would fail the whole download, so they are dropped (a soft break becomes a line break).
    """
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value.replace("\x0b", "\n"))
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def build_workbook(sheets: list[tuple[Review, list[LedgerRow]]], *, org_name: str = "", filled_by: str = "",
                   filled_on: str = "") -> bytes:
    """One sheet per review: title row, 填报单位 / 填报日期, the header (repeated on every printed page), the rows;
    仿宋, A4 landscape, fitted to one page wide."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    wrap = Alignment(wrap_text=True, vertical="top")
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    body_font, header_font = Font(name=BODY_FONT, size=11), Font(name="黑体", size=11, bold=True)
    header_fill = PatternFill("solid", fgColor="F2F2F2")
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    last = get_column_letter(len(COLUMNS))
    for review, rows in sheets:
        sheet = workbook.create_sheet(sheet_title(review.title, taken))
        sheet.merge_cells(f"A{TITLE_ROW}:{last}{TITLE_ROW}")
        title = sheet.cell(row=TITLE_ROW, column=1)
        _text_cell(title, ledger_title(review, org_name))
        title.font, title.alignment = Font(name="黑体", size=16, bold=True), centre
        sheet.row_dimensions[TITLE_ROW].height = 30
        half = len(COLUMNS) // 2
        sheet.merge_cells(start_row=META_ROW, start_column=1, end_row=META_ROW, end_column=half)
        sheet.merge_cells(start_row=META_ROW, start_column=half + 1, end_row=META_ROW, end_column=len(COLUMNS))
        _text_cell(sheet.cell(row=META_ROW, column=1), f"填报单位：{filled_by}")
        _text_cell(sheet.cell(row=META_ROW, column=half + 1), f"填报日期：{filled_on}")
        sheet.cell(row=META_ROW, column=1).font = body_font
        meta_date = sheet.cell(row=META_ROW, column=half + 1)
        meta_date.font, meta_date.alignment = body_font, Alignment(horizontal="right")
        for col, (name, width) in enumerate(zip(COLUMNS, WIDTHS), start=1):
            cell = sheet.cell(row=HEADER_ROW, column=col)
            _text_cell(cell, name)
            cell.font, cell.fill, cell.alignment, cell.border = header_font, header_fill, centre, border
            sheet.column_dimensions[cell.column_letter].width = width
        for r, row in enumerate(rows, start=HEADER_ROW + 1):
            for col, value in enumerate(row.cells(), start=1):
                cell = sheet.cell(row=r, column=col)
                _text_cell(cell, value)
                cell.font, cell.alignment, cell.border = body_font, wrap, border
        sheet.freeze_panes = f"A{HEADER_ROW + 1}"
        sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.print_options.horizontalCentered = True
        sheet.page_margins.left = sheet.page_margins.right = 0.4
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def download_name(reviews: list[Review]) -> str:
    label = reviews[0].title if len(reviews) == 1 else f"{len(reviews)}次述职评议"
    return f"整改台账-{_BAD_SHEET_CHARS.sub('', label)}.xlsx"


def rows_for_tasks(session, tasks: list[Task], *, tz: str | None = None) -> list[LedgerRow]:
    """The ledger's rows for any list of tasks (the filtered task list's export), in the list's order."""
    ids = [t.id for t in tasks]
    progress: dict[int, str] = {}
    for task_id, body in session.execute(
            select(ProgressUpdate.task_id, ProgressUpdate.body)
            .where(ProgressUpdate.task_id.in_(ids),
                   ProgressUpdate.kind.in_((UpdateKind.PROGRESS, UpdateKind.CLOSURE_REQUEST)))
            .order_by(ProgressUpdate.created_at, ProgressUpdate.id)):
        progress[task_id] = body  # the latest wins
    files = _evidence_names(session, ids)
    return [_row(number, task, unit_name=task.unit.name if task.unit else None,
                 owner_name=task.owner.name if task.owner else None, progress=progress.get(task.id),
                 files=files.get(task.id, []), owners_view=False, tz=tz)
            for number, task in enumerate(tasks, start=1)]
