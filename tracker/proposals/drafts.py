"""Drafts of a 约谈通知书 and of a 通报, as .docx built with python-docx in the layout of an official document
(title, 文号, addressee, body, signature and date). The department edits the draft in Word before issuing it:
blanks it must fill in are left as underlines, and the 文号 stays 〔2026〕X号 until one is recorded.
"""
from dataclasses import dataclass
from datetime import date
from io import BytesIO

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from sqlalchemy import func, select
from sqlalchemy.orm import object_session

from tracker.escalation.calendar import WorkCalendar
from tracker.models import Task, UnitKind
from tracker.models.proposals import Proposal, ProposalStatus, ProposalSubject
from tracker.proposals.overdue import days_overdue
from tracker.services.lights import overdue_sql
from tracker.timeutil import cn_date

BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
DEFAULT_ORG_NAME = "中共××县委组织部"
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SECRETARY_TITLES = {UnitKind.SUBDISTRICT: "党工委书记", UnitKind.BUREAU: "党组书记"}


@dataclass(frozen=True)
class DraftRow:
    unit_name: str
    problem_text: str
    deadline: date | None
    days_overdue: int  # working days, as the escalation rules count
    owner_name: str


def _set_font(run, name: str, size: float, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _new_document() -> Document:
    document = Document()
    section = document.sections[0]
    # GB/T 9704: A4, margins 37/35/28/26 mm.
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    normal = document.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = Pt(16)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    return document


def _paragraph(document, text: str, *, font=BODY_FONT, size=16, bold=False, align=None, indent=True):
    paragraph = document.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    if indent and align is None:
        paragraph.paragraph_format.first_line_indent = Pt(size * 2)
    paragraph.paragraph_format.line_spacing = Pt(28)
    _set_font(paragraph.add_run(text), font, size, bold)
    return paragraph


def _header(document, title: str, doc_number: str) -> None:
    _paragraph(document, doc_number, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(document, title, font=TITLE_FONT, size=22, align=WD_ALIGN_PARAGRAPH.CENTER)


def _signature(document, org_name: str, today: date) -> None:
    document.add_paragraph()
    _paragraph(document, org_name, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(document, cn_date(today), align=WD_ALIGN_PARAGRAPH.RIGHT)


def _to_bytes(document) -> bytes:
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def placeholder_doc_number(today: date) -> str:
    return f"〔{today.year}〕X号"


def _calendar_for(proposal: Proposal, calendar: WorkCalendar | None) -> WorkCalendar:
    return calendar if calendar is not None else WorkCalendar.load(object_session(proposal))


def rows_for(proposal: Proposal, today: date, calendar: WorkCalendar) -> list[DraftRow]:
    rows = []
    for link in proposal.tasks:
        task = link.task
        owner = task.owner.name if task.owner else (task.comment.secretary_name if task.comment else "")
        rows.append(DraftRow(unit_name=task.unit.name if task.unit else "", problem_text=task.problem_text,
                             deadline=task.deadline, days_overdue=days_overdue(task, today, calendar),
                             owner_name=owner or ""))
    return rows


def _addressee(proposal: Proposal, rows: list[DraftRow]) -> str:
    unit = proposal.unit
    task = proposal.task or (proposal.tasks[0].task if proposal.tasks else None)
    owner = task.owner if task is not None else None
    title = (owner.title if owner is not None and owner.title else None) or \
        SECRETARY_TITLES.get(unit.kind if unit else None, "党委书记")
    name = owner.name if owner is not None else next((r.owner_name for r in rows if r.owner_name), "")
    return f"{unit.name if unit else ''}{title}{name or '________'}同志："


def _numbered(document, rows: list[DraftRow]) -> None:
    for number, row in enumerate(rows, 1):
        _paragraph(document, f"{number}. {row.problem_text}（整改时限{cn_date(row.deadline)}，"
                             f"已逾期{row.days_overdue}个工作日）")


def _unit_overdue(proposal: Proposal, today: date, *, aside: bool) -> str:
    """The unit's whole overdue count, by the rule the 工作台, the task list and the 周报 use, so the notice
    never says a number the pages contradict."""
    if proposal.unit_id is None:
        return ""
    count = object_session(proposal).scalar(
        select(func.count()).select_from(Task).where(Task.unit_id == proposal.unit_id, overdue_sql(today)))
    if not count:
        return ""
    return f"（你单位共有{count}项整改任务逾期未完成）" if aside else f"目前你单位共有{count}项整改任务逾期未完成。"


def talk_notice_docx(proposal: Proposal, today: date, org_name: str = DEFAULT_ORG_NAME,
                     calendar: WorkCalendar | None = None) -> bytes:
    """约谈通知书 for one 约谈 proposal (about a task or a unit); days overdue in working days on `calendar`
    (the holiday table of the proposal's session when not given)."""
    decision = proposal.decision if proposal.status == ProposalStatus.DECIDED else None
    doc_number = (decision.doc_number if decision and decision.doc_number else placeholder_doc_number(today))
    rows = rows_for(proposal, today, _calendar_for(proposal, calendar))
    document = _new_document()
    _header(document, "约谈通知书", doc_number)
    _paragraph(document, _addressee(proposal, rows), indent=False)
    if proposal.subject == ProposalSubject.UNIT:
        _paragraph(document, f"根据县委关于述职评议问题整改工作的部署要求，经跟踪督办，截至{cn_date(today)}，"
                             f"你单位有{len(rows)}项整改任务逾期未完成，问题较多、整改工作长期打不开局面，具体如下：")
        _numbered(document, rows)
    elif proposal.subject == ProposalSubject.PERSON and len(rows) > 1:
        _paragraph(document, f"根据县委关于述职评议问题整改工作的部署要求，经跟踪督办，截至{cn_date(today)}，"
                             f"你承担的以下{len(rows)}项整改任务经提醒、催办、督办仍未完成整改"
                             f"{_unit_overdue(proposal, today, aside=True)}：")
        _numbered(document, rows)
    else:
        row = rows[0] if rows else DraftRow("", proposal.task.problem_text if proposal.task else "", None, 0, "")
        _paragraph(document, f"根据县委关于述职评议问题整改工作的部署要求，你单位承担的整改任务“{row.problem_text}”"
                             f"（整改时限{cn_date(row.deadline)}），截至{cn_date(today)}已逾期{row.days_overdue}个工作日，"
                             f"经提醒、催办、督办仍未完成整改。{_unit_overdue(proposal, today, aside=False)}")
    _paragraph(document, "按照整改督办工作有关规定，经研究，决定对你进行约谈。现将有关事项通知如下：")
    held_on = cn_date(decision.held_on) if decision and decision.held_on else "____年__月__日"
    _paragraph(document, f"一、约谈时间：{held_on}____时")
    _paragraph(document, "二、约谈地点：____________")
    _paragraph(document, f"三、约谈人：{decision.held_by if decision and decision.held_by else '____________'}")
    _paragraph(document, "四、请你提前准备书面情况说明，重点说明整改任务进展、逾期原因及下一步整改措施，"
                         "按时参加约谈，不得委托他人代替。")
    _signature(document, org_name, today)
    return _to_bytes(document)


def circular_docx(proposals: list[Proposal], today: date, org_name: str = DEFAULT_ORG_NAME,
                  calendar: WorkCalendar | None = None) -> bytes:
    """通报 draft listing the units, their overdue tasks and the working days overdue, for one or more proposals."""
    if calendar is None and proposals:
        calendar = _calendar_for(proposals[0], None)
    rows = []
    seen: set[tuple[str, str]] = set()
    for proposal in proposals:
        for row in rows_for(proposal, today, calendar):
            if (row.unit_name, row.problem_text) not in seen:
                seen.add((row.unit_name, row.problem_text))
                rows.append(row)
    rows.sort(key=lambda r: (-r.days_overdue, r.unit_name))
    numbers = {p.decision.doc_number for p in proposals
               if p.status == ProposalStatus.DECIDED and p.decision and p.decision.doc_number}
    doc_number = numbers.pop() if len(numbers) == 1 else placeholder_doc_number(today)
    units = sorted({r.unit_name for r in rows})
    document = _new_document()
    _header(document, "关于部分整改任务逾期未完成情况的通报", doc_number)
    _paragraph(document, "各乡镇党委、街道党工委，县直各单位党组（党委）：", indent=False)
    _paragraph(document, f"为推动述职评议问题整改落实落地，县委组织部对整改任务推进情况进行了跟踪督办。截至"
                         f"{cn_date(today)}，{'、'.join(units)}等{len(units)}个单位的{len(rows)}项整改任务逾期未完成，"
                         f"经提醒、催办、督办后仍未按期整改。现将有关情况通报如下：")
    _paragraph(document, "一、逾期未完成的整改任务", font=HEADING_FONT)
    table = document.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, ("序号", "责任单位", "整改任务", "整改时限", "逾期工作日")):
        _set_font(cell.paragraphs[0].add_run(text), HEADING_FONT, 12)
    for number, row in enumerate(rows, 1):
        values = (str(number), row.unit_name, row.problem_text, cn_date(row.deadline), f"{row.days_overdue}个工作日")
        for cell, text in zip(table.add_row().cells, values):
            _set_font(cell.paragraphs[0].add_run(text), BODY_FONT, 12)
    _paragraph(document, "二、有关要求", font=HEADING_FONT)
    _paragraph(document, "被通报单位要认真反思、举一反三，主要负责同志要切实履行第一责任人职责，自通报印发之日起"
                         "10个工作日内将整改情况书面报县委组织部。各单位要引以为戒，对照问题清单逐项推进，"
                         "确保整改任务按期销号。")
    _signature(document, org_name, today)
    return _to_bytes(document)
