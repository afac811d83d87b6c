"""问题清单 workbooks (巡察/审计 feedback as .xlsx): bytes in, dataclasses out.

Pure: no Flask, no database. The bytes are checked as a zip before openpyxl sees them, because a workbook is
a zip of XML and a small file can inflate to gigabytes.
"""
import io
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

MAX_UNCOMPRESSED = 30 * 1024 * 1024
MAX_RATIO = 100
MAX_MEMBERS = 500
MAX_ROWS = 5000
MAX_COLUMNS = 60
HEADER_SEARCH_ROWS = 10
FIELDS = ("number", "unit", "problem", "measures", "deadline", "owner", "note")
FIELD_LABELS = {"number": "序号", "unit": "责任单位", "problem": "问题描述", "measures": "整改措施",
                "deadline": "整改时限", "owner": "责任人", "note": "备注"}
REQUIRED = ("unit", "problem")
# Header words per field, most specific first; a header cell is matched to the first field whose word it holds.
_HEADER_WORDS = (
    ("number", ("序号", "编号", "序")),
    ("measures", ("整改措施", "措施", "整改举措", "整改方案")),
    ("deadline", ("整改时限", "完成时限", "时限", "完成时间", "整改期限")),
    ("owner", ("责任人", "具体责任人", "联系人")),
    ("unit", ("责任单位", "整改单位", "被巡察单位", "被审计单位", "单位名称", "单位")),
    ("problem", ("问题描述", "存在问题", "发现问题", "问题表现", "具体问题", "反馈问题", "问题")),
    ("note", ("备注", "说明")),
)
IMMEDIATE, ONGOING = "立行立改", "长期坚持"
_DATE_RE = re.compile(r"^\s*(\d{4})\s*(?:年|-|/|\.)\s*(\d{1,2})\s*(?:月|-|/|\.)\s*(\d{1,2})\s*日?\s*(?:前|之前)?\s*$")
_MONTH_RE = re.compile(r"^\s*(\d{4})\s*(?:年|-|/|\.)\s*(\d{1,2})\s*月?\s*(?:底|末)?\s*(?:前|之前)?\s*$")
_DIMENSION_RE = re.compile(rb'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


class WorkbookError(Exception):
    """str(error) is a Chinese message for the person who uploaded the file."""


@dataclass
class Column:
    index: int  # 1-based
    letter: str
    header: str


@dataclass
class Layout:
    """What the upload looks like: its sheets, the header row found and each field's guessed column."""
    sheet: str
    sheets: list[str]
    header_row: int
    columns: list[Column]
    mapping: dict[str, int | None]  # field → 1-based column, None when not guessed
    title: str


@dataclass
class Row:
    number: int  # the row number as Excel shows it
    unit: str
    problem: str
    measures: str = ""
    owner: str = ""
    note: str = ""
    task_type: str = ""  # "" when the cell is empty: the preview's default applies
    deadline: date | None = None
    raw_deadline: str = ""


@dataclass
class BadRow:
    number: int
    reason: str
    unit: str
    problem: str
    raw_deadline: str = ""
    owner: str = ""
    measures: str = ""


@dataclass
class ProblemList:
    layout: Layout
    rows: list[Row] = field(default_factory=list)
    bad_rows: list[BadRow] = field(default_factory=list)


def check_archive(data: bytes) -> None:
    """Refuses what is not a workbook, or would inflate too far, before anything is decompressed."""
    if not data:
        raise WorkbookError("文件是空的，请重新选择")
    if data[:2] != b"PK" or not zipfile.is_zipfile(io.BytesIO(data)):
        raise WorkbookError("不是有效的 .xlsx 文件（Excel 2007 及以上格式）；.xls 请先在 Excel 中另存为 .xlsx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
            if "xl/workbook.xml" not in names:
                raise WorkbookError("不是有效的 .xlsx 文件：压缩包中没有工作簿（xl/workbook.xml）")
            if len(members) > MAX_MEMBERS:
                raise WorkbookError(f"文件结构异常：包含 {len(members)} 个部件，超过 {MAX_MEMBERS} 个，已拒绝")
            total = sum(m.file_size for m in members)
            if total > MAX_UNCOMPRESSED:
                raise WorkbookError(f"文件解压后达 {total // (1024 * 1024)} MB，超过 {MAX_UNCOMPRESSED // (1024 * 1024)} MB "
                                    "的上限，可能是压缩炸弹，已拒绝")
            for member in members:
                if member.file_size > 1024 * 1024 and member.file_size > MAX_RATIO * max(member.compress_size, 1):
                    raise WorkbookError(f"文件中“{member.filename}”的压缩比超过 {MAX_RATIO} 倍，可能是压缩炸弹，已拒绝")
            for member in members:
                if member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml"):
                    _check_dimension(archive, member)
    except zipfile.BadZipFile as error:
        raise WorkbookError(f"不是有效的 .xlsx 文件：{error}") from error


def _check_dimension(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    with archive.open(member) as stream:
        head = stream.read(4096)
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise WorkbookError("文件中含有不允许的 XML 实体声明，已拒绝")
    match = _DIMENSION_RE.search(head)
    if not match or not match.group(3):
        return
    rows, columns = int(match.group(4)), _column_number(match.group(3).decode())
    if rows > MAX_ROWS or columns > MAX_COLUMNS:
        raise WorkbookError(f"工作表过大（{rows} 行 × {columns} 列），问题清单不能超过 {MAX_ROWS} 行、{MAX_COLUMNS} 列")


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def _letter(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", " ", str(value)).strip() if not isinstance(value, str) else value.strip()


def _open(data: bytes):
    from openpyxl import load_workbook

    check_archive(data)
    try:
        # Not read-only: merged cells (a unit spanning rows) are only known to a fully loaded sheet. Files from
        # WPS and others draw warnings about extensions openpyxl drops; they do not change the cell values.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load_workbook(io.BytesIO(data), data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a damaged file
        raise WorkbookError(f"无法读取该 Excel 文件：{type(error).__name__}") from error


def _grid(sheet) -> list[list]:
    """Cell values with every merged range filled from its top-left cell."""
    if sheet.max_row > MAX_ROWS or sheet.max_column > MAX_COLUMNS:
        raise WorkbookError(f"工作表“{sheet.title}”过大（{sheet.max_row} 行 × {sheet.max_column} 列），"
                            f"问题清单不能超过 {MAX_ROWS} 行、{MAX_COLUMNS} 列")
    grid = [list(row) for row in sheet.iter_rows(values_only=True)]
    for merged in sheet.merged_cells.ranges:
        value = grid[merged.min_row - 1][merged.min_col - 1] if merged.min_row <= len(grid) else None
        for r in range(merged.min_row, min(merged.max_row, len(grid)) + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                if c <= len(grid[r - 1]):
                    grid[r - 1][c - 1] = value
    return grid


def _field_of(header: str) -> str | None:
    compact = re.sub(r"\s+", "", header)
    for name, words in _HEADER_WORDS:
        if any(word in compact for word in words):
            return name
    return None


def _guess(grid: list[list]) -> tuple[int, dict[str, int | None]]:
    """The header row among the first rows: the one naming both a unit and a problem column, else the most fields."""
    best, best_row, best_mapping = -1, 1, {}
    for r, row in enumerate(grid[:HEADER_SEARCH_ROWS], start=1):
        mapping: dict[str, int | None] = {}
        for c, value in enumerate(row, start=1):
            name = _field_of(_text(value)) if isinstance(value, str) and len(value) <= 20 else None
            if name and name not in mapping:
                mapping[name] = c
        score = len(mapping) + (10 if all(f in mapping for f in REQUIRED) else 0)
        if score > best:
            best, best_row, best_mapping = score, r, mapping
    return best_row, {f: best_mapping.get(f) for f in FIELDS}


def read_layout(data: bytes, sheet_name: str | None = None) -> Layout:
    """The sheet (the first one with a unit and a problem column, unless named), its header row and columns."""
    book = _open(data)
    names = book.sheetnames
    candidates = [sheet_name] if sheet_name in names else names
    chosen = None
    for name in candidates:
        grid = _grid(book[name])
        header_row, mapping = _guess(grid)
        if chosen is None or (all(mapping[f] for f in REQUIRED) and not all(chosen[2][f] for f in REQUIRED)):
            chosen = (name, grid, mapping, header_row)
        if all(mapping[f] for f in REQUIRED):
            break
    name, grid, mapping, header_row = chosen
    header = grid[header_row - 1] if grid else []
    columns = [Column(c, _letter(c), _text(v)) for c, v in enumerate(header, start=1)]
    title = next((_text(row[0]) for row in grid[:header_row - 1] if row and _text(row[0])), "")
    return Layout(sheet=name, sheets=names, header_row=header_row, columns=columns, mapping=mapping, title=title)


def content_digest(data: bytes) -> str:
    """sha256 of every sheet's cell values: the same list saved again (new timestamps inside the zip) is the
    same 问题清单, as a transcript in another encoding is the same review."""
    import hashlib

    book = _open(data)
    digest = hashlib.sha256()
    for name in book.sheetnames:
        digest.update(f"\x1e{name}".encode())
        for row in _grid(book[name]):
            digest.update(("\x1f".join(_text(v) for v in row).rstrip("\x1f") + "\n").encode())
    return digest.hexdigest()


def parse_deadline(value) -> tuple[str, date | None, str | None]:
    """(task type or "", deadline, error): a date, a month (its last day), 立行立改, 长期坚持, or empty."""
    if isinstance(value, datetime):
        return "", value.date(), None
    if isinstance(value, date):
        return "", value, None
    text = _text(value)
    if not text:
        return "", None, None
    compact = re.sub(r"\s+", "", text)
    if ONGOING in compact or compact in ("长期", "持续整改"):
        return ONGOING, None, None
    if IMMEDIATE in compact or compact in ("立即整改", "即知即改"):
        return IMMEDIATE, None, None
    match = _DATE_RE.match(compact)
    month = None if match else _MONTH_RE.match(compact)
    try:
        if match:
            return "", date(int(match.group(1)), int(match.group(2)), int(match.group(3))), None
        if month:
            year, number = int(month.group(1)), int(month.group(2))
            following = date(year + number // 12, number % 12 + 1, 1)
            return "", date.fromordinal(following.toordinal() - 1), None
    except ValueError:
        pass
    return "", None, "整改时限不是日期"


def read_rows(data: bytes, *, sheet: str, header_row: int, mapping: dict[str, int | None]) -> ProblemList:
    """Every row below the header: a Row, or a BadRow with its reason. Fully empty rows are skipped."""
    missing = [FIELD_LABELS[f] for f in REQUIRED if not mapping.get(f)]
    if missing:
        raise WorkbookError("请指定“" + "”“".join(missing) + "”所在的列")
    book = _open(data)
    if sheet not in book.sheetnames:
        raise WorkbookError(f"工作簿中没有名为“{sheet}”的工作表")
    grid = _grid(book[sheet])
    if not 1 <= header_row <= len(grid):
        raise WorkbookError(f"表头行号应在 1 到 {len(grid)} 之间")
    layout = read_layout(data, sheet)
    layout.header_row, layout.mapping = header_row, {f: mapping.get(f) for f in FIELDS}
    result = ProblemList(layout=layout)
    for number, row in enumerate(grid[header_row:], start=header_row + 1):
        def cell(name):
            column = mapping.get(name)
            return row[column - 1] if column and column <= len(row) else None

        values = {name: _text(cell(name)) for name in FIELDS if name != "deadline"}
        raw = cell("deadline")
        if not any(values[f] for f in ("unit", "problem", "measures", "owner", "note")) and not _text(raw):
            continue
        task_type, deadline, error = parse_deadline(raw)
        reason = ("没有责任单位" if not values["unit"] else "没有问题描述" if not values["problem"] else error)
        if reason:
            result.bad_rows.append(BadRow(number=number, reason=reason, unit=values["unit"],
                                          problem=values["problem"], raw_deadline=_text(raw),
                                          owner=values["owner"], measures=values["measures"]))
            continue
        result.rows.append(Row(number=number, unit=values["unit"], problem=values["problem"],
                               measures=values["measures"], owner=values["owner"], note=values["note"],
                               task_type=task_type, deadline=deadline,
                               raw_deadline=raw.isoformat()[:10] if isinstance(raw, (date, datetime)) else _text(raw)))
    if not result.rows and not result.bad_rows:
        raise WorkbookError(f"工作表“{sheet}”第 {header_row} 行（表头）之下没有任何问题")
    return result
