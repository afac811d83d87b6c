"""Bytes to text: .txt in UTF-8 / GB18030, or .docx paragraphs and tables in document order."""
import io
import re
import unicodedata
import zipfile
from pathlib import PurePath

from .model import UnreadableDocumentError

SUPPORTED_EXTENSIONS = (".txt", ".docx")
ACCEPTED = "请上传 .txt（UTF-8 或 GB18030/GBK 编码）或 .docx（Word 2007 及以上）文件" \
           " (accepted: .txt in UTF-8 or GB18030/GBK, .docx)"

# Files people are likely to try, recognised by their first bytes so the message can say what to do.
_KNOWN_BINARIES = [
    (b"%PDF", "PDF 文件不能直接解析，请把文字复制到 .txt 或另存为 .docx"),
    (b"\xd0\xcf\x11\xe0", "这是旧版 Word（.doc）或 Excel 文件，请在 Word 中另存为 .docx"),
    (b"\x89PNG", "这是图片（PNG），无法识别其中的文字"),
    (b"\xff\xd8\xff", "这是图片（JPEG），无法识别其中的文字"),
    (b"GIF8", "这是图片（GIF），无法识别其中的文字"),
    (b"{\\rtf", "这是 RTF 文件，请在 Word 中另存为 .docx"),
]
_SUFFIX_ADVICE = {
    ".doc": "，请在 Word 中另存为 .docx",
    ".wps": "，请在 WPS 中另存为 .docx",
    ".pdf": "，请把文字复制到 .txt 或另存为 .docx",
    ".rtf": "，请在 Word 中另存为 .docx",
}
_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_BOMS = [(b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")]


def decode_text(data: bytes) -> str:
    """Decode a .txt: BOM first, then strict UTF-8, then GB18030 (a superset of GBK and GB2312)."""
    text = None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = _decode(data[len(bom):], encoding)
            break
    if text is None:
        text = _decode(data, "utf-8")
    if text is None:
        text = _decode(data, "gb18030")
    if text is None:
        raise UnreadableDocumentError(
            f"无法识别文件的文字编码（读取了 {len(data)} 字节，既不是 UTF-8 也不是 GB18030/GBK），"
            f"可能不是文本文件。{ACCEPTED}")
    if _looks_binary(text):
        raise UnreadableDocumentError(
            f"文件内容不是文字（读取了 {len(data)} 字节，含有大量控制字符），可能是二进制文件。{ACCEPTED}")
    return _LINE_BREAKS.sub("\n", text.lstrip("\ufeff"))


def _decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    controls = sum(1 for char in text if unicodedata.category(char) == "Cc" and char not in "\t\n\r\x0b\x0c")
    return controls > max(8, len(text) // 50)


def read_document(data: bytes, filename: str) -> str:
    """The document's text, one paragraph per line; the type comes from the extension or the content."""
    suffix = PurePath(filename or "").suffix.lower()
    if _is_docx(data):
        return _read_docx(data)
    for magic, advice in _KNOWN_BINARIES:
        if data.startswith(magic):
            raise UnreadableDocumentError(f"“{filename}”：{advice}。{ACCEPTED}")
    if suffix == ".docx":
        raise UnreadableDocumentError(f"“{filename}”不是有效的 .docx 文件（文件已损坏或只是改了扩展名）。{ACCEPTED}")
    if suffix not in ("", ".txt"):
        advice = _SUFFIX_ADVICE.get(suffix, "")
        raise UnreadableDocumentError(f"不支持“{suffix}”类型的文件{advice}。{ACCEPTED}")
    return decode_text(data)


def _is_docx(data: bytes) -> bool:
    if not data.startswith(b"PK"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return False


def _read_docx(data: bytes) -> str:
    import docx  # python-docx; imported here so .txt parsing works without it

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors ... on corrupt files
        raise UnreadableDocumentError(f"无法打开 .docx 文件（{type(exc).__name__}），文件可能已损坏。{ACCEPTED}") from exc
    lines: list[str] = []
    _collect(document, lines)
    return _LINE_BREAKS.sub("\n", "\n".join(lines))


def _collect(container, lines: list[str]) -> None:
    """Paragraphs and tables (recursively, cell by cell) in the order they appear."""
    from docx.table import Table

    for block in container.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                _collect_row(row, lines)
        else:
            lines.append(block.text)


def _collect_row(row, lines: list[str]) -> None:
    seen, cells = set(), []
    for cell in row.cells:  # a merged cell is returned once per grid column it spans
        if id(cell._tc) not in seen:
            seen.add(id(cell._tc))
            cells.append(cell)
    label = cells[0].text.strip().rstrip("：:") if cells else ""
    if len(cells) > 1 and label in ("点评", "点评意见"):
        # A "点评 | text" row reads as one "点评：text" paragraph.
        rest: list[str] = []
        for cell in cells[1:]:
            _collect(cell, rest)
        lines.append(f"{label}：" + "\n".join(rest))
        return
    for cell in cells:
        _collect(cell, lines)
