"""整改台账: the rows of a review's ledger, and the .xlsx workbook built from them (openpyxl)."""
import io
import re
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from sqlalchemy import select

from tracker.models import EscalationLevel, ProgressUpdate, Review, Task, TaskType, Unit, UpdateKind, User
from tracker.services.dashboard import OVERALL_UNIT_LABEL
from tracker.timeutil import cn_date

COLUMNS = ["序号", "责任单位", "责任人", "问题描述", "整改措施", "整改类型", "整改时限", "整改进展", "状态",
           "销号时间", "督办等级"]
WIDTHS = [6, 18, 14, 50, 40, 10, 16, 40, 10, 16, 10]
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

    def cells(self) -> list:
        return [self.number, self.unit, self.owner, self.problem, self.measures, self.task_type, self.deadline,
                self.progress, self.status, self.closed_on, self.level]


def ledger_rows(session, review: Review, *, unit_id: int | None = None, tz: str | None = None) -> list[LedgerRow]:
    """The review's tasks in 点评 order; with unit_id, only that unit's own rows (for its secretary)."""
    latest_progress = (
        select(ProgressUpdate.body)
        .where(ProgressUpdate.task_id == Task.id, ProgressUpdate.kind != UpdateKind.PLAN)
        .order_by(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc())
        .limit(1).correlate(Task).scalar_subquery()
    )
    query = (
        select(Task, Unit.name, User.name, latest_progress)
        .outerjoin(Unit, Unit.id == Task.unit_id)
        .outerjoin(User, User.id == Task.owner_id)
        .where(Task.review_id == review.id)
        .order_by(Task.ledger_position, Task.id)
    )
    if unit_id is not None:
        query = query.where(Task.unit_id == unit_id, Task.is_overall.is_(False))
    rows = []
    for number, (task, unit_name, owner_name, progress) in enumerate(session.execute(query), start=1):
        owner = owner_name or ""
        if task.responsible_person:
            owner = f"{owner}；具体责任人：{task.responsible_person}" if owner else task.responsible_person
        rows.append(LedgerRow(
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
            level=EscalationLevel.LABELS.get(task.escalation_level, str(task.escalation_level)),
        ))
    return rows


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


def build_workbook(sheets: list[tuple[Review, list[LedgerRow]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    wrap = Alignment(wrap_text=True, vertical="top")
    header_font, header_fill = Font(bold=True), PatternFill("solid", fgColor="F2F2F2")
    for review, rows in sheets:
        sheet = workbook.create_sheet(sheet_title(review.title, taken))
        for col, (name, width) in enumerate(zip(COLUMNS, WIDTHS), start=1):
            cell = sheet.cell(row=1, column=col)
            _text_cell(cell, name)
            cell.font, cell.fill, cell.alignment = header_font, header_fill, wrap
            sheet.column_dimensions[cell.column_letter].width = width
        for r, row in enumerate(rows, start=2):
            for col, value in enumerate(row.cells(), start=1):
                cell = sheet.cell(row=r, column=col)
                _text_cell(cell, value)
                cell.alignment = wrap
        sheet.freeze_panes = "A2"
        sheet.print_title_rows = "1:1"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def download_name(reviews: list[Review]) -> str:
    label = reviews[0].title if len(reviews) == 1 else f"{len(reviews)}次述职评议"
    return f"整改台账-{_BAD_SHEET_CHARS.sub('', label)}.xlsx"
