"""The fictional demo transcript shipped in tracker/demo_data, and the output formats."""
import json

import pytest

from tracker.parser import ParsedProblem, ParsedReview, ParsedUnit, parse_document, parse_text


@pytest.fixture(scope="module")
def demo(demo_path) -> ParsedReview:
    return parse_document(demo_path.read_bytes(), demo_path.name)


def test_demo_parses_to_the_designed_counts(demo):
    assert [(u.unit, u.unit_kind, u.secretary, u.secretary_title, len(u.problems)) for u in demo.units] == [
        ("青山镇", "镇", "刘建国", "党委书记", 3),
        ("白河乡", "乡", "陈晓梅", "党委书记", 2),
        ("石桥镇", "镇", "王志远", "党委书记", 2),
        ("县教育局", "县直部门", "赵丽华", "党组书记", 3),
        ("县卫生健康局", "县直部门", "孙国栋", "党组书记", 2),
        ("城南街道", "街道", "周敏", "党工委书记", 2),
    ]
    assert len(demo.overall_problems) == 2
    assert (demo.title, demo.year, demo.warnings) == ("2023年度全县党组织书记抓基层党建工作述职评议会议", 2023, [])


def test_demo_requirements_list_is_not_counted_as_problems(demo):
    shiqiao = demo.units[2]
    assert [p.text for p in shiqiao.problems][-1] == "非公企业党组织覆盖后作用发挥不明显，“有形覆盖”多、“有效覆盖”少。"
    assert shiqiao.expectations.startswith("下一步，对石桥镇提出两点要求：一是")


def test_demo_does_not_copy_the_shared_sample(demo, sample_text):
    for unit in demo.units:
        for text in [unit.strengths, unit.expectations] + [p.text for p in unit.problems]:
            assert text not in sample_text


def test_to_dict_has_exactly_the_agreed_keys(demo):
    data = demo.to_dict()
    assert set(data) == {"title", "year", "units", "overall_problems", "warnings"}
    assert set(data["units"][0]) == {"unit", "unit_kind", "secretary", "secretary_title", "strengths",
                                     "problems", "expectations"}
    assert data["units"][0]["problems"][0] == {"text": "村级后备力量储备不足，35岁以下村“两委”成员占比偏低。"}
    assert data["overall_problems"][1] == {"text": "基层党员队伍结构老化，年轻党员和致富带头人党员比例偏低。"}
    json.dumps(data, ensure_ascii=False)


def test_format_text_is_a_readable_outline(demo):
    text = demo.format_text()
    assert text.splitlines()[0].startswith("2023年度全县党组织书记抓基层党建工作述职评议会议")
    assert "共 6 个单位，14 个问题；全县共性问题 2 个" in text
    assert "1. 青山镇（镇）  党委书记：刘建国" in text
    assert "全县共性问题（2）：" in text


def test_dataclasses_are_the_public_shapes():
    problem = ParsedProblem(text="不足。", position=1)
    unit = ParsedUnit(index=1, heading="h", unit="青山镇", unit_kind="镇", secretary="李华",
                      secretary_title="党委书记", strengths="", problems=[problem], expectations="", comment="")
    review = ParsedReview(title=None, year=None, units=[unit], overall_problems=[], warnings=["w"])
    with pytest.raises(AttributeError):
        problem.text = "changed"  # frozen
    assert "提示：" in review.format_text() and "未识别到会议名称" in review.format_text()


@pytest.mark.parametrize("width", [5, 11, 16, 23, 30, 37, 52])
def test_demo_hard_wrapped_parses_the_same(width, demo, demo_path):
    text = demo_path.read_text(encoding="utf-8")
    wrapped = "\n".join(line[i:i + width] for line in text.split("\n") for i in range(0, max(len(line), 1), width))
    assert parse_text(wrapped).to_dict() == demo.to_dict()
