"""Confidence, not silence: per-unit warnings, source paragraphs, unplaced paragraphs, the details JSON."""
import json

import pytest

from tracker.parser import parse_text
from tracker.parser.model import WARNING_CODES

OPEN = "同志们：\n今天召开2024年度全县党组织书记抓基层党建工作述职评议会议。\n"
CLOSE = "下面，进行会议第二项议程。\n※※※\n"
HEAD = "一、请青山镇党委书记李华同志述职。\n※※※\n"
S = "青山镇思路清晰，产业党支部作用明显。"


def codes(unit):
    return [w["code"] for w in unit.warnings]


def parse(body: str):
    return parse_text(OPEN + body + CLOSE)


def test_a_unit_with_no_problems_always_warns():
    [unit] = parse(HEAD + f"点评：{S}\n希望李华同志再接再厉。\n").units
    assert unit.problems == [] and codes(unit) == ["no_problems"]
    assert "青山镇" in unit.warnings[0]["message"] and "没有识别出问题" in unit.warnings[0]["message"]


def test_a_list_inferred_without_marker_warns():
    [unit] = parse(HEAD + f"点评：{S}一是党员教育管理不够严格。二是阵地利用率偏低。\n希望李华同志抓好整改。\n").units
    assert [p.text for p in unit.problems] == ["党员教育管理不够严格。", "阵地利用率偏低。"]
    assert codes(unit) == ["inferred_list"]


def test_problems_from_a_contrast_sentence_warn_no_marker():
    [unit] = parse(HEAD + f"点评：{S}不过，村级集体经济发展还不够平衡，个别村仍是空壳村。\n希望李华同志抓好整改。\n").units
    assert [p.text for p in unit.problems] == ["村级集体经济发展还不够平衡，个别村仍是空壳村。"]
    assert "no_marker" in codes(unit)


def test_a_list_after_a_cue_warns_kind_guessed():
    [unit] = parse(HEAD + f"点评：{S}有待改进的方面：一是党员教育不严。二是阵地利用率不高。\n").units
    assert len(unit.problems) == 2 and codes(unit) == ["kind_guessed"]


def test_a_known_marker_gives_no_warning():
    [unit] = parse(HEAD + f"点评：{S}但还存在以下问题：一是党员教育不严。二是阵地利用率不高。\n希望李华同志抓好整改。\n").units
    assert unit.warnings == []


def test_a_loose_heading_warns():
    [unit] = parse("一、请县妇联主席王芳同志述职。\n※※※\n点评：县妇联工作扎实。存在问题：一是议事不规范。\n").units
    assert (unit.unit, unit.secretary) == ("县妇联", "王芳") and codes(unit) == ["heading_loose"]


def test_a_negative_sentence_left_among_the_expectations_warns_maybe_missed():
    [unit] = parse(HEAD + f"点评：{S}存在问题：一是党员教育不严。二是阵地利用率不高。\n"
                          "希望李华同志抓好整改。另外，党员教育管理不够严格，存在宽松软现象。\n").units
    assert len(unit.problems) == 2 and "maybe_missed" in codes(unit)


def test_source_paragraphs_are_the_comment_as_read():
    review = parse(HEAD + f"点评：{S}\n但还存在以下问题：\n一是党员教育不严。\n二是阵地利用率不高。\n希望李华同志抓好整改。\n")
    [unit] = review.units
    assert unit.source_paragraphs[0]["text"] == f"点评：{S}"
    assert unit.source_paragraphs[-1]["text"] == "希望李华同志抓好整改。"
    indices = [p["index"] for p in unit.source_paragraphs]
    assert indices == list(range(indices[0], indices[0] + 5))


def test_a_comment_whose_heading_cannot_be_read_is_unplaced_and_said():
    body = (HEAD + f"点评：{S}存在问题：一是党员教育不严。\n"
            "二、白河乡的同志汇报了工作。\n※※※\n点评：白河乡工作扎实。存在问题：一是阵地利用率不高。\n")
    review = parse(body)
    assert [u.unit for u in review.units] == ["青山镇"]
    assert [p["text"] for p in review.unplaced] == ["点评：白河乡工作扎实。存在问题：一是阵地利用率不高。"]
    assert any("1 个段落未能归属" in w for w in review.warnings)


def test_to_dict_keeps_its_keys_and_details_adds_new_ones_only():
    review = parse(HEAD + f"点评：{S}\n希望李华同志再接再厉。\n")
    plain, detailed = review.to_dict(), review.to_dict(details=True)
    assert set(detailed) - set(plain) == {"unplaced", "units_to_check"}
    assert set(detailed["units"][0]) - set(plain["units"][0]) == {"heading", "warnings", "source_paragraphs"}
    assert {k: v for k, v in detailed["units"][0].items() if k in plain["units"][0]} == plain["units"][0]
    assert detailed["units"][0]["warnings"][0]["code"] == "no_problems"
    assert detailed["units_to_check"] == 1
    json.dumps(detailed, ensure_ascii=False)


def test_every_code_raised_is_documented():
    review = parse(HEAD + f"点评：{S}\n希望李华同志再接再厉。\n")
    assert all(w["code"] in WARNING_CODES for u in review.units for w in u.warnings)


@pytest.mark.parametrize("text", ["点评：青山镇工作扎实。", "青山镇工作扎实，但还存在以下问题：一是阵地利用率不高。"])
def test_format_text_shows_unit_warnings(text):
    review = parse(HEAD + text + "\n")
    assert "⚠" in review.format_text() or review.units[0].warnings == []


def test_a_comment_after_the_last_unit_that_no_heading_led_to_is_unplaced_not_overall():
    body = (HEAD + f"点评：{S}存在问题：一是党员教育不严。\n希望李华同志抓好整改。\n二、白河乡王强同志汇报了工作。\n※※※\n"
            "点评：白河乡工作有亮点。但还存在以下问题：\n1.阵地利用率不高；\n2.经费管理不规范。\n")
    closing = "同志们，总的看，全县还存在一些问题和不足。一是责任压得不实。二是基础不牢。这些问题要认真解决。\n"
    review = parse(body + CLOSE + closing)
    assert [p.text for p in review.overall_problems] == ["责任压得不实。", "基础不牢。"]
    assert [p["text"] for p in review.unplaced][:3] == ["点评：白河乡工作有亮点。但还存在以下问题：", "1.阵地利用率不高；",
                                                       "2.经费管理不规范。"]
