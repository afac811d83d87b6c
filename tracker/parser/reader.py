"""Bytes to text: .txt in UTF-8 / GB18030, or .docx paragraphs and tables in document order."""
import io
import re
import unicodedata
import zipfile
from pathlib import PurePath

from .model import UnreadableDocumentError
from .tables import (
    header_table_lines,
    label_row_lines,
    unique_cells,
    vertical_table_lines,
)

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


class DocumentText(str):
    """The text of a document, with what the reader had to tolerate (``warnings``, Chinese, for the user)."""
    warnings: tuple[str, ...] = ()

    @classmethod
    def of(cls, text: str, warnings=()) -> "DocumentText":
        result = cls(text)
        result.warnings = tuple(warnings)
        return result


# A few bad bytes are replaced and reported; more than this is not a text file.
_MAX_BAD_SPOTS = 32
NEWLINE = b"\n"
_SHOWN_SPOTS = 5


def decode_text(data: bytes) -> str:
    """Decode a .txt: BOM first, then strict UTF-8, then GB18030 (a superset of GBK and GB2312).

    When neither decodes strictly, the one with fewer undecodable spots is used if they are few: each is
    replaced by U+FFFD and the result's ``warnings`` say where (line and byte offset).
    """
    text, warnings = None, []
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = _decode(data[len(bom):], encoding)
            if text is None and encoding == "utf-8":
                text, warnings = _tolerant(data, len(bom), ("utf-8",))
            break
    if text is None:
        text = _decode(data, "utf-8")
        if text is None:
            # UTF-8 with one or two stray bytes would often still pass as GB18030, in mojibake: a real
            # GB18030 file fails as UTF-8 at nearly every Chinese character, so a few failures mean UTF-8.
            decoded = _decode_replacing(data, 0, "utf-8")
            if decoded is not None and len(decoded[1]) <= 3 and len(data) >= 200 * len(decoded[1]):
                text, warnings = _tolerant(data, 0, ("utf-8",))
        if text is None:
            text = _decode(data, "gb18030")
        if text is None:
            text, warnings = _tolerant(data, 0, ("utf-8", "gb18030"))
    if text is None:
        raise UnreadableDocumentError(
            f"无法识别文件的文字编码（读取了 {len(data)} 字节，既不是 UTF-8 也不是 GB18030/GBK，"
            f"无法解码的地方太多），可能不是文本文件。{ACCEPTED}")
    if _looks_binary(text):
        raise UnreadableDocumentError(
            f"文件内容不是文字（读取了 {len(data)} 字节，含有大量控制字符），可能是二进制文件。{ACCEPTED}")
    return DocumentText.of(_LINE_BREAKS.sub("\n", text.lstrip("\ufeff")), warnings)


def _tolerant(data: bytes, skip: int, encodings) -> tuple[str | None, list[str]]:
    """The decoding with the fewest bad spots, if there are few; else (None, [])."""
    best = None
    for encoding in encodings:
        decoded = _decode_replacing(data, skip, encoding)
        if decoded is not None and (best is None or len(decoded[1]) < len(best[1])):
            best = decoded + (encoding,)
    if best is None:
        return None, []
    text, spots, encoding = best
    if len(spots) > max(3, len(text) // 200):
        return None, []
    shown = "；".join(f"第 {data.count(NEWLINE, 0, offset) + 1} 行（第 {offset} 字节）" for offset in spots[:_SHOWN_SPOTS])
    more = f"等 {len(spots)} 处" if len(spots) > _SHOWN_SPOTS else f"共 {len(spots)} 处"
    name = "UTF-8" if encoding == "utf-8" else "GB18030/GBK"
    offsets = ", ".join(map(str, spots[:_SHOWN_SPOTS]))
    return text, [(f"文件按 {name} 读取，有无法解码的字节，已替换为“\ufffd”：{shown}，{more}，请核对这些位置的文字"
                   f" (undecodable bytes replaced at byte offsets {offsets})")]


def _decode_replacing(data: bytes, skip: int, encoding: str) -> tuple[str, list[int]] | None:
    parts, spots, position = [], [], skip
    while True:
        try:
            parts.append(data[position:].decode(encoding))
            return "".join(parts), spots
        except UnicodeDecodeError as error:
            parts.append(data[position:position + error.start].decode(encoding, errors="replace"))
            parts.append("\ufffd")
            spots.append(position + error.start)
            position += max(error.end, error.start + 1)
            if len(spots) > _MAX_BAD_SPOTS:
                return None


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
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError, NotImplementedError, RuntimeError):
        return False


# A transcript's document.xml is well under a few MB; the limits leave a wide margin and still refuse a
# decompression bomb before anything is inflated.
MAX_DOCUMENT_XML_BYTES = 40 * 1024 * 1024
MAX_TOTAL_BYTES = 80 * 1024 * 1024
MAX_RATIO = 120            # uncompressed / compressed, for members over 1 MB uncompressed
MAX_PARAGRAPHS = 50_000


def check_docx(data: bytes) -> None:
    """Refuse a .docx whose members would inflate to too much, judged from the zip directory alone,
    then stream document.xml with a byte cap (declared sizes may lie) counting its paragraphs."""
    too_big = f"“.docx”文件解压后过大，疑似压缩炸弹，已拒绝读取。{ACCEPTED}"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        total = sum(info.file_size for info in infos)
        if total > MAX_TOTAL_BYTES:
            raise UnreadableDocumentError(f"{too_big}（解压后共 {total // (1024 * 1024)} MB）")
        for info in infos:
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > 1024 * 1024 and ratio > MAX_RATIO:
                raise UnreadableDocumentError(f"{too_big}（{info.filename} 压缩比 {ratio:.0f}:1）")
        main = archive.getinfo("word/document.xml")
        if main.file_size > MAX_DOCUMENT_XML_BYTES:
            raise UnreadableDocumentError(f"{too_big}（正文 {main.file_size // (1024 * 1024)} MB）")
        read, paragraphs, tail = 0, 0, b""
        with archive.open(main) as stream:
            while chunk := stream.read(1024 * 1024):
                read += len(chunk)
                if read > MAX_DOCUMENT_XML_BYTES:
                    raise UnreadableDocumentError(f"{too_big}（正文超过 {MAX_DOCUMENT_XML_BYTES // (1024 * 1024)} MB）")
                window = tail + chunk
                paragraphs += window.count(b"<w:p>") + window.count(b"<w:p ") - tail.count(b"<w:p>") - tail.count(b"<w:p ")
                tail = window[-8:]
                if paragraphs > MAX_PARAGRAPHS:
                    raise UnreadableDocumentError(
                        f"“.docx”文件的段落超过 {MAX_PARAGRAPHS} 个，不像一份会议记录，已拒绝读取。{ACCEPTED}")


def _read_docx(data: bytes) -> str:
    import docx  # python-docx; imported here so .txt parsing works without it

    try:
        check_docx(data)
    except UnreadableDocumentError:
        raise
    except Exception as exc:  # zipfile and zlib raise BadZipFile, zlib.error, KeyError, ValueError … on corrupt files
        raise UnreadableDocumentError(f"无法打开 .docx 文件（{type(exc).__name__}），文件可能已损坏。{ACCEPTED}") from exc
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors ... on corrupt files
        raise UnreadableDocumentError(f"无法打开 .docx 文件（{type(exc).__name__}），文件可能已损坏。{ACCEPTED}") from exc
    lines: list[str] = []
    _collect(document, lines)
    return DocumentText.of(_LINE_BREAKS.sub("\n", "\n".join(lines)))


def _collect(container, lines: list[str]) -> None:
    """Paragraphs and tables (recursively, cell by cell) in the order they appear."""
    from docx.table import Table

    for block in container.iter_inner_content():
        if isinstance(block, Table):
            by_row = header_table_lines(block) or vertical_table_lines(block)
            if by_row is not None:
                lines.extend(by_row)
                continue
            if _labelled_table(block) and not _after_comment_label(lines):
                lines.append("点评：")  # a table of 亮点 | 问题 | 建议 rows is the 点评 itself
            for row in block.rows:
                _collect_row(row, lines)
        else:
            lines.append(block.text)


def _labelled_table(table) -> bool:
    rows = [label_row_lines(unique_cells(row)) for row in table.rows]
    return len(rows) >= 2 and all(rows) and any("问题" in r[0] or "不足" in r[0] or "差距" in r[0] for r in rows)


def _after_comment_label(lines: list[str]) -> bool:
    from .patterns import COMMENT_START_RE

    previous = next((line for line in reversed(lines) if line.strip()), "")
    return bool(COMMENT_START_RE.match(previous.strip()))


def _collect_row(row, lines: list[str]) -> None:
    cells = unique_cells(row)
    label = cells[0].text.strip().rstrip("：:") if cells else ""
    if len(cells) > 1 and label in ("点评", "点评意见"):
        # A "点评 | text" row reads as one "点评：text" paragraph.
        rest: list[str] = []
        for cell in cells[1:]:
            _collect(cell, rest)
        lines.append(f"{label}：" + "\n".join(rest))
        return
    labelled = label_row_lines(cells)
    if labelled is not None:
        lines.extend(labelled)
        return
    for cell in cells:
        _collect(cell, lines)
