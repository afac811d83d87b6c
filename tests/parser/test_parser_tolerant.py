"""Tolerant reading: a few bad bytes are replaced and reported; bombs and garbage are refused fast."""
import io
import time
import zipfile

import pytest

from tracker.parser import UnreadableDocumentError, parse_document, read_document

TEXT = ("同志们：\n今天召开2024年度全县党组织书记抓基层党建工作述职评议会议。\n"
        "一、请青山镇党委书记李华同志述职。\n※※※\n"
        "点评：青山镇思路清晰。但还存在以下问题：一是村级后备力量储备不足。二是党员积分管理流于形式。\n"
        "希望李华同志抓好整改。\n")


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_file_with_one_bad_byte_is_read_with_a_warning_saying_where(encoding):
    data = TEXT.encode(encoding)
    at = data.index("希望".encode(encoding))
    broken = data[:at] + b"\xff" + data[at:]
    review = parse_document(broken, "review.txt")
    assert [p.text for p in review.units[0].problems] == ["村级后备力量储备不足。", "党员积分管理流于形式。"]
    [message] = [w for w in review.warnings if "无法解码" in w]
    assert f"第 6 行（第 {at} 字节）" in message and "共 1 处" in message
    assert "\ufffd" in review.units[0].expectations


def test_a_bad_byte_after_a_bom_is_tolerated_too():
    data = b"\xef\xbb\xbf" + TEXT.encode("utf-8").replace("希望".encode(), b"\xc3(" + "希望".encode())
    review = parse_document(data, "review.txt")
    assert len(review.units[0].problems) == 2 and any("无法解码" in w for w in review.warnings)


def test_read_document_carries_the_warning_for_callers_that_parse_later():
    from tracker.parser import parse_text

    text = read_document(TEXT.encode("utf-8")[:40] + b"\xff" + TEXT.encode("utf-8")[40:], "r.txt")
    assert text.warnings and parse_text(text).warnings[0] == text.warnings[0]


def test_mostly_garbage_is_still_refused_in_chinese():
    garbage = bytes(range(128, 256)) * 40
    with pytest.raises(UnreadableDocumentError) as info:
        parse_document(TEXT.encode("utf-8") + garbage, "review.txt")
    assert "无法识别文件的文字编码" in str(info.value) or "不是文字" in str(info.value)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    zeros = b"0" * (120 * 1024 * 1024)
    data = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": zeros})
    assert len(data) < 1024 * 1024
    return data


def test_a_docx_bomb_is_refused_in_well_under_a_second(bomb):
    started = time.perf_counter()
    with pytest.raises(UnreadableDocumentError) as info:
        parse_document(bomb, "bomb.docx")
    assert time.perf_counter() - started < 1.0
    assert "压缩炸弹" in str(info.value)


def test_a_docx_with_a_huge_ratio_member_is_refused():
    data = _zip({"word/document.xml": b"<w:document/>", "word/media/x.xml": b" " * (30 * 1024 * 1024)})
    started = time.perf_counter()
    with pytest.raises(UnreadableDocumentError) as info:
        parse_document(data, "ratio.docx")
    assert time.perf_counter() - started < 1.0 and "压缩比" in str(info.value)


def test_a_docx_with_too_many_paragraphs_is_refused(monkeypatch):
    from tracker.parser import reader

    monkeypatch.setattr(reader, "MAX_PARAGRAPHS", 50)
    xml = b"<w:document><w:body>" + b"<w:p><w:r><w:t>x</w:t></w:r></w:p>" * 60 + b"</w:body></w:document>"
    with pytest.raises(UnreadableDocumentError) as info:
        parse_document(_zip({"word/document.xml": xml}), "many.docx")
    assert "段落超过 50 个" in str(info.value)


@pytest.mark.parametrize("stray", [b"\xa0", b"\x80", b"\xe4\xb8", b"\xc3"])
def test_a_stray_byte_in_utf8_is_not_read_as_gb18030_mojibake(stray):
    data = TEXT.encode("utf-8")
    at = data.index("李华".encode())
    review = parse_document(data[:at] + stray + data[at:], "review.txt")
    assert review.units[0].unit == "青山镇" and len(review.units[0].problems) == 2
    assert any("按 UTF-8 读取" in w for w in review.warnings)
