"""The roster .xlsx in and out: checked before openpyxl sees it, header found on any of the first rows,
columns guessed from their headers (and editable by the user)."""
import io
import re
import zipfile
from dataclasses import dataclass, field

FIELDS = {"unit": "单位", "name": "姓名", "title": "职务", "phone": "手机号码", "email": "电子邮箱", "note": "备注"}
REQUIRED = ("unit", "name")
# Header words as rosters spell them; matched after removing spaces and brackets.
SYNONYMS = {
    "unit": ("单位", "单位名称", "党组织", "党组织名称", "所在单位", "责任单位", "乡镇", "部门"),
    "name": ("姓名", "书记姓名", "书记", "党组织书记", "名字"),
    "title": ("职务", "现任职务", "职位"),
    "phone": ("手机号码", "手机", "手机号", "联系电话", "电话", "联系方式"),
    "email": ("电子邮箱", "邮箱", "电子邮件", "邮件", "email", "e-mail", "mail"),
    "note": ("备注", "说明"),
}
HEADER_ROWS = 6  # the header may sit below a title row or two
MAX_ROWS = 5000
MAX_UNCOMPRESSED = 30 * 1024 * 1024  # all members of the zip together, before openpyxl inflates anything
MAX_RATIO = 200  # a member inflating more than this is a zip bomb, not a roster
_SPACES = re.compile(r"[\s\u3000（）()【】\[\]:：*＊]+")


class RosterFileError(ValueError):
    """The file cannot be read as a roster; the message says why, in Chinese."""


@dataclass
class Sheet:
    rows: list[tuple[int, list[str]]]  # (Excel row number, cell texts)
    header_row: int
    headers: list[str]
    mapping: dict[str, int | None] = field(default_factory=dict)  # field → column index


def check_xlsx(data: bytes, *, max_bytes: int) -> None:
    """A real .xlsx of sane size, safe to hand to openpyxl (uncompressed sizes read from the zip directory)."""
    if not data:
        raise RosterFileError("文件是空的，请重新选择名册文件")
    if len(data) > max_bytes:
        raise RosterFileError(f"文件过大（{len(data) // 1024} KB），名册文件不能超过 {max_bytes // 1024} KB")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise RosterFileError("这不是 .xlsx 格式的 Excel 文件（旧版 .xls 请在 Excel 中另存为 .xlsx）")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise RosterFileError("文件已损坏，无法作为 Excel 文件打开") from exc
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names:
        raise RosterFileError("这不是 Excel 工作簿（缺少 xl/workbook.xml），请上传 .xlsx 文件")
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED or any(m.compress_size and m.file_size / m.compress_size > MAX_RATIO
                                       for m in members if m.file_size > 1024 * 1024):
        raise RosterFileError("文件解压后过大，疑似异常文件，已拒绝读取")


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number typed as a number
    return " ".join(str(value).split())


def read_sheet(data: bytes, *, max_bytes: int) -> Sheet:
    check_xlsx(data, max_bytes=max_bytes)
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a broken file; all mean the same
        raise RosterFileError(f"Excel 文件无法读取：{type(exc).__name__}") from exc
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise RosterFileError("工作簿中没有工作表")
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_ROWS + HEADER_ROWS:
                raise RosterFileError(f"名册超过 {MAX_ROWS} 行，请分批导入")
            rows.append((number, [_cell_text(v) for v in values]))
    finally:
        book.close()
    header_row, headers, mapping = find_header(rows)
    body = [(n, cells) for n, cells in rows if n > header_row and any(cells)]
    return Sheet(rows=body, header_row=header_row, headers=headers, mapping=mapping)


def _normal(text: str) -> str:
    return _SPACES.sub("", text or "").lower()


def guess_field(header: str) -> str | None:
    word = _normal(header)
    if not word:
        return None
    for name, words in SYNONYMS.items():
        if word in {_normal(w) for w in words}:
            return name
    for name, words in SYNONYMS.items():  # "书记手机号码（必填）" and the like
        if any(_normal(w) in word for w in words if len(w) >= 2):
            return name
    return None


def find_header(rows) -> tuple[int, list[str], dict[str, int | None]]:
    """The row among the first HEADER_ROWS whose cells name the most roster fields."""
    best = None
    for number, cells in rows[:HEADER_ROWS]:
        mapping: dict[str, int | None] = {}
        for index, cell in enumerate(cells):
            name = guess_field(cell)
            if name is not None and name not in mapping:
                mapping[name] = index
        if best is None or len(mapping) > len(best[2]):
            best = (number, cells, mapping)
    if best is None or not all(f in best[2] for f in REQUIRED):
        raise RosterFileError("没有找到表头：名册前几行中应有“单位”和“姓名”两列")
    number, cells, mapping = best
    return number, cells, {f: mapping.get(f) for f in FIELDS}


def write_roster(rows: list[dict]) -> bytes:
    """The roster as .xlsx, with the same columns the import reads."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "党组织书记名册"
    sheet.append(list(FIELDS.values()))
    for row in rows:
        sheet.append([_safe(row.get(f, "")) for f in FIELDS])
    for column, width in zip("ABCDEF", (22, 10, 14, 16, 28, 20)):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _safe(value) -> str:
    """A cell starting with = + - @ would run as a formula when the export is opened (CSV/formula injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
