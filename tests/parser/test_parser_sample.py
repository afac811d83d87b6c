"""The real 2021 transcript, and the same transcript re-encoded, re-wrapped and turned into .docx."""
import re

import pytest

from tracker.parser import parse_document, parse_text

CLOSING_HEADINGS = ("深化思想认识", "突出政治建设", "夯实责任落实", "抓好基层党建是")


def test_sample_has_14_units_28_problems_and_3_overall_problems(sample_review):
    assert len(sample_review.units) == 14
    assert sum(len(u.problems) for u in sample_review.units) == 28
    assert all(len(u.problems) == 2 for u in sample_review.units)
    assert len(sample_review.overall_problems) == 3
    assert sample_review.warnings == []


@pytest.mark.parametrize("index, unit, kind, secretary, title", [
    (1, "XX镇", "镇", "XXX", "党委书记"),
    (2, "XXX镇", "镇", "XX", "党委书记"),
    (7, "XX乡", "乡", "XX", "党委书记"),
    (13, "县XX局", "县直部门", "XX", "党组书记"),
    (14, "县文旅体局", "县直部门", "唐娟", "党组书记"),
])
def test_sample_unit_headings(sample_review, index, unit, kind, secretary, title):
    parsed = sample_review.units[index - 1]
    assert (parsed.index, parsed.unit, parsed.unit_kind, parsed.secretary, parsed.secretary_title) == (
        index, unit, kind, secretary, title)


def test_sample_headings_are_kept_as_found(sample_review):
    assert sample_review.units[0].heading == "一、首先请XX镇党委书记XXX同志述职。"
    assert sample_review.units[13].heading == "14.请县文旅体局党组书记唐娟同志述职。"


@pytest.mark.parametrize("index, position, text", [
    (14, 1, "对基层党组织压力传导还不到位，党建工作跟踪问效力度不够大。"),
    (14, 2, "围绕“文旅活县”发展战略，在总结工作亮点、经验成效、对外宣传工作做的不足。"),
    (1, 1, "在以点扩面培育更多典型、打造更多可参观学习的党建亮点方面还要进一步加强。"),
    # half-width comma inside the item stays as it is
    (3, 2, "开展矛盾纠纷排查工作不到位，切实加强命案防控工作,还存在思想认识不到位、工作措施不扎实等问题，2021年，连发2起命案。"),
    (10, 1, "基层矛盾化解存在薄弱环节，涉及土地分配的信访问题相对突出，重复访、越级访情况较多。"),
])
def test_sample_problems_are_verbatim(sample_review, index, position, text):
    problem = sample_review.units[index - 1].problems[position - 1]
    assert (problem.position, problem.text) == (position, text)


def test_sample_problem_texts_appear_verbatim_in_the_source(sample_review, sample_text):
    for unit in sample_review.units:
        for problem in unit.problems:
            assert problem.text in sample_text
    for problem in sample_review.overall_problems:
        assert problem.text in sample_text


def test_sample_strengths_expectations_and_comment(sample_review):
    unit = sample_review.units[0]
    assert unit.strengths == ("XX镇以党建引领助推中心工作干在实处、走在前列，网格化管理有一定成效，"
                              "基层矛盾纠纷排查工作较为扎实。")
    assert unit.expectations.startswith("希望XXX同志以抓好点评问题整改为切入点")
    assert unit.expectations.endswith("切实提高基层党建水平。")
    assert unit.comment.startswith("XX镇以党建引领") and "但还存在以下问题：" in unit.comment
    assert unit.comment.endswith("切实提高基层党建水平。")


def test_sample_expectation_without_xiwang_is_found(sample_review):
    # unit 9 has no "希望": its expectation paragraph starts "XX同志作为刚到任的党委书记，要…"
    assert sample_review.units[8].expectations.startswith("XX同志作为刚到任的党委书记，要尽快适应工作角色")


def test_sample_last_unit_stops_before_the_next_agenda_item(sample_review):
    last = sample_review.units[-1]
    assert last.expectations.endswith("全力推动打造“党建+旅游”特色党建品牌。")
    assert "第二项议程" not in last.comment


def test_sample_overall_problems_stop_before_the_following_sentence(sample_review):
    texts = [p.text for p in sample_review.overall_problems]
    assert texts[0].startswith("涉农涉牧等民生领域信访问题仍占较大比重")
    assert texts[2] == "非公有制经济组织和社会组织“两个覆盖”率还不够高，党建引领作用发挥的不够好。"
    assert [p.position for p in sample_review.overall_problems] == [1, 2, 3]
    assert not any("这些问题" in t for t in texts)


def test_closing_speech_headings_are_not_units(sample_review):
    for unit in sample_review.units:
        assert not any(h in unit.heading or h in unit.unit for h in CLOSING_HEADINGS)
        assert "同志述职" in unit.heading


def test_sample_title_and_year(sample_review):
    assert sample_review.title == "2021年度全县党组织书记抓基层党建工作述职评议会议"
    assert sample_review.year == 2021


def _hard_wrap(text: str, width: int) -> str:
    lines = []
    for line in text.split("\n"):
        lines.extend([line[i:i + width] for i in range(0, len(line), width)] or [""])
    return "\n".join(lines)


def _crlf_indented(text: str) -> str:
    return "\r\n".join("\u3000\u3000" + line if line else line for line in text.split("\n"))


REENCODINGS = {
    "gb18030": lambda text: text.encode("gb18030"),
    # GBK has no no-break space; the sample has one, outside every extracted text
    "gbk": lambda text: text.replace("\xa0", " ").encode("gbk"),
    "utf8-bom": lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
    "crlf-fullwidth-indent": lambda text: _crlf_indented(text).encode("utf-8"),
    "hard-wrapped-30": lambda text: _hard_wrap(text, 30).encode("utf-8"),
    "hard-wrapped-17-gb18030-crlf": lambda text: _hard_wrap(text, 17).replace("\n", "\r\n").encode("gb18030"),
    "hard-wrapped-43-indented": lambda text: _crlf_indented(_hard_wrap(text, 43)).encode("utf-8"),
    "hard-wrapped-29-double-spaced": lambda text: _hard_wrap(text, 29).replace("\n", "\n\n").encode("utf-8"),
}


@pytest.mark.parametrize("variant", sorted(REENCODINGS))
def test_reencoded_sample_parses_the_same(variant, sample_text, sample_review, parse_written):
    parsed = parse_written(REENCODINGS[variant](sample_text), name="review.txt")
    assert parsed.to_dict() == sample_review.to_dict()


@pytest.mark.parametrize("width", range(8, 80, 7))
def test_sample_hard_wrapped_at_any_width_parses_the_same(width, sample_text, sample_review):
    assert parse_text(_hard_wrap(sample_text, width)).to_dict() == sample_review.to_dict()


def test_sample_as_docx_paragraphs_parses_the_same(sample_text, sample_review, write_docx):
    path = write_docx(sample_text.split("\n"))
    assert parse_document(path.read_bytes(), path.name).to_dict() == sample_review.to_dict()


def _comments_in_tables(sample_text: str, label_column: bool) -> list:
    blocks = []
    for line in sample_text.split("\n"):
        if not line.startswith("点评："):
            blocks.append(line)
        elif label_column:
            blocks.append([["点评", line.removeprefix("点评：")]])
        else:
            blocks.append([[line]])
    return blocks


@pytest.mark.parametrize("label_column", [False, True], ids=["whole-comment-in-one-cell", "label-cell-and-text-cell"])
def test_sample_as_docx_with_comments_in_table_cells_parses_the_same(
        label_column, sample_text, sample_review, write_docx):
    path = write_docx(_comments_in_tables(sample_text, label_column))
    assert parse_document(path.read_bytes(), path.name).to_dict() == sample_review.to_dict()


def test_docx_cell_with_comment_and_expectation_paragraphs(sample_text, sample_review, write_docx):
    lines = sample_text.split("\n")
    blocks, index = [], 0
    while index < len(lines):
        if lines[index].startswith("点评："):
            blocks.append([[[lines[index], lines[index + 1]]]])  # 点评 and 希望 as two paragraphs of one cell
            index += 2
        else:
            blocks.append(lines[index])
            index += 1
    path = write_docx(blocks)
    assert parse_document(path.read_bytes(), path.name).to_dict() == sample_review.to_dict()


_HALF_WIDTH = str.maketrans({"，": ",", "：": ":", "；": ";", "（": "(", "）": ")", "！": "!", "？": "?"})


def test_sample_with_half_width_punctuation(sample_text, sample_review):
    parsed = parse_text(sample_text.translate(_HALF_WIDTH))
    assert len(parsed.units) == 14
    assert [len(u.problems) for u in parsed.units] == [2] * 14
    assert len(parsed.overall_problems) == 3
    expected = [p.text.translate(_HALF_WIDTH) for u in sample_review.units for p in u.problems]
    assert [p.text for u in parsed.units for p in u.problems] == expected


def test_sample_with_half_width_full_stops_too(sample_text):
    text = re.sub(r"。", ".", sample_text.translate(_HALF_WIDTH))
    parsed = parse_text(text)
    assert [len(u.problems) for u in parsed.units] == [2] * 14
    assert parsed.units[13].problems[0].text == "对基层党组织压力传导还不到位,党建工作跟踪问效力度不够大."
    assert len(parsed.overall_problems) == 3
