"""Documents that are not transcripts, or not readable at all, and the reading layer itself."""
import io
import random
import zipfile

import pytest

from tracker.parser import (SUPPORTED_EXTENSIONS, NotAReviewError, ParseError, UnreadableDocumentError,
                            decode_text, parse_document, parse_text, read_document)

NOTICE = """关于召开2024年度党组织书记抓基层党建工作述职评议会议的通知
各乡镇党委，县直各单位党组（党委）：
经县委研究，定于2024年1月20日召开述职评议会议。请各单位党组织书记认真准备述职报告，于1月15日前报县委组织部。
特此通知。
"""
NOVEL = "第一章\n　　山风吹过村口的老槐树，他想起了很多年前的那个夏天。\n　　“你回来了？”母亲问。\n"
RANDOM_BYTES = random.Random(20240101).randbytes(4096)


def _expect_not_a_review(parse, content, name="file.txt"):
    with pytest.raises(NotAReviewError) as info:
        parse(content, name)
    message = str(info.value)
    assert "同志述职" in message and "点评" in message  # says what it looked for
    return message


@pytest.mark.parametrize("content, found", [
    (b"", "文件是空的"),
    (b"\r\n\r\n   \n", "文件是空的"),
    (NOTICE.encode("utf-8"), "关于召开2024年度党组织书记抓基层党建工作述职评议会议的通知"),
    (NOTICE.encode("gb18030"), "匹配到 0 个述职标题"),
    (NOVEL.encode("utf-8"), "首行是“第一章”"),
])
def test_text_without_review_sections(content, found, parse_written):
    message = _expect_not_a_review(lambda c, n: parse_written(c, name=n), content)
    assert found in message


def test_message_counts_lines_characters_and_headings():
    text = "一、请青山镇党委书记李华同志述职。\n※※※\n二、请白河乡党委书记王强同志述职。\n※※※\n"
    message = _expect_not_a_review(lambda c, n: parse_text(c), text)
    assert "匹配到 2 个述职标题、0 个“点评：”段落" in message
    assert f"{len(text)} 个字符" in message and "2 headings matched" in message


def test_docx_without_review_sections(write_docx):
    path = write_docx(NOTICE.split("\n") + [[["姓名", "单位"], ["李华", "青山镇"]]])
    message = _expect_not_a_review(parse_document, path.read_bytes(), path.name)
    assert "首行是“关于召开" in message


@pytest.mark.parametrize("content, name, says", [
    (RANDOM_BYTES, "random.txt", ".docx"),
    (RANDOM_BYTES, "random", ".txt"),
    (RANDOM_BYTES, "scan.pdf", "不支持“.pdf”"),
    (RANDOM_BYTES, "old.doc", "不支持“.doc”"),
    (b"%PDF-1.7\n" + RANDOM_BYTES, "copied.txt", "PDF"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + RANDOM_BYTES, "review.doc", ".doc"),
    (b"\x89PNG\r\n\x1a\n" + RANDOM_BYTES, "photo.png", "图片"),
    ("一、请青山镇党委书记李华同志述职。".encode("utf-8"), "renamed.docx", "不是有效的 .docx"),
    (b"PK\x03\x04" + RANDOM_BYTES, "broken.docx", "不是有效的 .docx"),
    ("同志们：\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11\x12\x13".encode("utf-8"), "ctl.txt", "二进制"),
])
def test_unreadable_documents(content, name, says):
    with pytest.raises(UnreadableDocumentError) as info:
        parse_document(content, name)
    assert says in str(info.value)
    assert ".txt" in str(info.value) and ".docx" in str(info.value)  # says which types are accepted


def _zip(members: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return buffer.getvalue()


@pytest.mark.parametrize("members", [
    {"hello.txt": "not a word document"},
    {"word/document.xml": "<not-xml"},
])
def test_zip_that_is_not_a_readable_docx(members):
    with pytest.raises(UnreadableDocumentError):
        parse_document(_zip(members), "fake.docx")


def test_errors_share_a_base_class():
    assert issubclass(NotAReviewError, ParseError) and issubclass(UnreadableDocumentError, ParseError)
    assert SUPPORTED_EXTENSIONS == (".txt", ".docx")


@pytest.mark.parametrize("name", ["review.docx", "REVIEW.DOCX", "review.txt", "review"])
def test_docx_is_recognised_by_content_whatever_its_name(name, write_docx):
    path = write_docx(["一、请青山镇党委书记李华同志述职。", "点评：抓得实。存在问题：一是不足。"])
    parsed = parse_document(path.read_bytes(), name)
    assert [p.text for p in parsed.units[0].problems] == ["不足。"]


@pytest.mark.parametrize("data, text", [
    ("同志们：\r\n今天\r\n".encode("utf-8"), "同志们：\n今天\n"),
    ("同志们：\r今天\r".encode("utf-8"), "同志们：\n今天\n"),
    (b"\xef\xbb\xbf" + "同志们：\n".encode("utf-8"), "同志们：\n"),
    ("同志们：\n点评：好。".encode("gb18030"), "同志们：\n点评：好。"),
    ("同志们：\n".encode("utf-16"), "同志们：\n"),
    ("Ａ１，ａ：　".encode("gbk"), "Ａ１，ａ：　"),
    (b"", ""),
])
def test_decode_text(data, text):
    assert decode_text(data) == text


def test_read_document_returns_docx_paragraphs_and_tables_in_order(write_docx):
    path = write_docx(["第一段", [["甲", "乙"], ["丙", ["丁1", "丁2"]]], "最后一段"])
    assert read_document(path.read_bytes(), path.name).split("\n") == ["第一段", "甲", "乙", "丙", "丁1", "丁2", "最后一段"]


def test_read_document_of_a_txt_with_an_uppercase_extension():
    assert read_document("一\r\n二".encode("gb18030"), "REVIEW.TXT") == "一\n二"
