"""Synthetic transcripts, written to tmp_path, for each form the spec lists."""
import pytest

A, B, C = "村级后备力量储备不足", "党员积分管理流于形式", "党群服务中心使用率不高"
STRENGTHS = "青山镇抓党建促发展思路清晰，产业党支部作用明显。"
EXPECTATION = "希望李华同志聚焦点评问题抓好整改。"
HEADING = "一、请青山镇党委书记李华同志述职。"


def one_unit(build_review, comment, expectation=EXPECTATION, closing=""):
    return build_review((HEADING, comment, expectation), closing=closing)


@pytest.mark.parametrize("heading, unit, kind, secretary, title", [
    ("一、首先请XX镇党委书记XXX同志述职。", "XX镇", "镇", "XXX", "党委书记"),
    ("13.请县XX局党组书记XX同志述职。", "县XX局", "县直部门", "XX", "党组书记"),
    ("（三）请XX社区党委书记XX同志述职。", "XX社区", "其他", "XX", "党委书记"),
    ("2.县司法局党组书记张明同志述职", "县司法局", "县直部门", "张明", "党组书记"),
    ("1、请青山镇党委书记李华同志述职。", "青山镇", "镇", "李华", "党委书记"),
    ("１．请白河乡党委书记王强同志述职。", "白河乡", "乡", "王强", "党委书记"),
    ("(4)请城南街道党工委书记赵敏同志述职。", "城南街道", "街道", "赵敏", "党工委书记"),
    ("五、请高新技术产业开发区党工委书记孙伟同志述职。", "高新技术产业开发区", "街道", "孙伟", "党工委书记"),
    ("6.请县委办公室党支部书记周红同志述职。", "县委办公室", "县直部门", "周红", "党支部书记"),
    ("十一、接下来请县人民医院党委书记吴刚同志作述职报告。", "县人民医院", "县直部门", "吴刚", "党委书记"),
    ("7.请县教育局党组书记、局长欧阳明远同志述职。", "县教育局", "县直部门", "欧阳明远", "党组书记"),
    ("八、请政务服务中心党组书记钱芳同志述职。", "政务服务中心", "县直部门", "钱芳", "党组书记"),
    ("九、请红旗村党总支书记马丽同志述职。", "红旗村", "其他", "马丽", "党总支书记"),
])
def test_heading_forms(heading, unit, kind, secretary, title, build_review, parse_written):
    parsed = parse_written(build_review((heading, f"点评：{STRENGTHS}存在问题：一是{A}。", None)))
    [found] = parsed.units
    assert (found.heading, found.unit, found.unit_kind, found.secretary, found.secretary_title) == (
        heading, unit, kind, secretary, title)


def test_mixed_numbering_in_one_document(build_review, parse_written):
    headings = ["一、请青山镇党委书记李华同志述职。", "2.请白河乡党委书记王强同志述职。",
                "（三）请城南街道党工委书记赵敏同志述职。", "4、请县教育局党组书记钱芳同志述职",
                "５．请县卫生健康局党组书记孙伟同志述职。"]
    text = build_review(*[(h, f"点评：{STRENGTHS}存在问题：一是{A}。二是{B}。", None) for h in headings])
    parsed = parse_written(text)
    assert [u.unit for u in parsed.units] == ["青山镇", "白河乡", "城南街道", "县教育局", "县卫生健康局"]
    assert [u.index for u in parsed.units] == [1, 2, 3, 4, 5]
    assert [len(u.problems) for u in parsed.units] == [2] * 5


def test_heading_and_comment_on_one_line(build_review, parse_written):
    text = build_review((f"{HEADING}点评：{STRENGTHS}但还存在以下问题：一是{A}。二是{B}。", None, EXPECTATION))
    [unit] = parse_written(text).units
    assert unit.heading == HEADING
    assert [p.text for p in unit.problems] == [f"{A}。", f"{B}。"]


@pytest.mark.parametrize("label", ["点评：", "点评:", "点评意见：", "点评意见:", "点评 ：", "【点评】"])
def test_comment_labels(label, build_review, parse_written):
    [unit] = parse_written(one_unit(build_review, f"{label}{STRENGTHS}但还存在以下问题：一是{A}。二是{B}。")).units
    assert unit.strengths == STRENGTHS
    assert [p.text for p in unit.problems] == [f"{A}。", f"{B}。"]


@pytest.mark.parametrize("marker", [
    "但还存在以下问题：", "存在问题：", "存在的主要问题：", "存在的主要问题是：", "但还存在一些不足。",
    "但还存在一些问题和不足：", "还存在一些问题和不足，主要是：", "主要问题是：", "问题和不足主要是：",
    "存在的不足：", "但也存在以下不足，", "不足之处是：", "但是仍然存在以下几个方面的问题：",
    "同时也要看到，还存在一些差距和不足：", "但还有以下问题需要整改：",
])
def test_problem_marker_phrasings(marker, build_review, parse_written):
    [unit] = parse_written(one_unit(build_review, f"点评：{STRENGTHS}{marker}一是{A}。二是{B}。")).units
    assert unit.strengths == STRENGTHS
    assert [(p.position, p.text) for p in unit.problems] == [(1, f"{A}。"), (2, f"{B}。")]
    assert unit.expectations == EXPECTATION


@pytest.mark.parametrize("body, expected", [
    (f"一是{A}。二是{B}。三是{C}。", [f"{A}。", f"{B}。", f"{C}。"]),
    (f"1.{A}。2.{B}。3.{C}。", [f"{A}。", f"{B}。", f"{C}。"]),
    (f"1、{A}；2、{B}；3、{C}。", [A, B, f"{C}。"]),
    (f"１．{A}；２．{B}；３．{C}。", [A, B, f"{C}。"]),
    (f"（1）{A}；（2）{B}；（3）{C}。", [A, B, f"{C}。"]),
    (f"(1){A};(2){B};(3){C}.", [A, B, f"{C}."]),
    (f"（一）{A}。（二）{B}。", [f"{A}。", f"{B}。"]),
    (f"第一，{A}。第二，{B}。第三，{C}。", [f"{A}。", f"{B}。", f"{C}。"]),
    (f"①{A}；②{B}。", [A, f"{B}。"]),
    (f"一是{A}，二是{B}，三是{C}。", [A, B, f"{C}。"]),
    (f"\n1.{A}\n2.{B}\n3.{C}", [A, B, C]),
    (f"\n一是{A}。\n二是{B}。\n三是{C}。", [f"{A}。", f"{B}。", f"{C}。"]),
    # an item may hold several sentences and its own ；
    (f"一是{A}；后备干部培养计划未落实。二是{B}。", [f"{A}；后备干部培养计划未落实。", f"{B}。"]),
    # numbers inside items are not enumerators
    (f"一是{A}，仅占1.5%，2022年以来2个村未发展党员。二是{B}。", [f"{A}，仅占1.5%，2022年以来2个村未发展党员。", f"{B}。"]),
    # a role named 第一书记 is not "第一，"
    (f"一是对驻村第一书记管理不严。二是{B}。", ["对驻村第一书记管理不严。", f"{B}。"]),
])
def test_enumeration_styles(body, expected, build_review, parse_written):
    [unit] = parse_written(one_unit(build_review, f"点评：{STRENGTHS}但还存在以下问题：{body}")).units
    assert [p.text for p in unit.problems] == expected
    assert unit.expectations == EXPECTATION


@pytest.mark.parametrize("body, expected", [
    (f"还存在一些不足：{A}；{B}；{C}。", [A, B, f"{C}。"]),
    (f"还存在一些不足：{A};{B}.", [A, f"{B}."]),
    (f"主要问题是{A}。", [f"{A}。"]),
    (f"存在问题：\n{A}。\n{B}。", [f"{A}。", f"{B}。"]),
])
def test_unnumbered_problems(body, expected, build_review, parse_written):
    [unit] = parse_written(one_unit(build_review, f"点评：{STRENGTHS}{body}")).units
    assert [p.text for p in unit.problems] == expected
    assert unit.expectations == EXPECTATION


@pytest.mark.parametrize("comment, problem, expectations", [
    (f"点评：{STRENGTHS}但也存在党员教育管理不够严格的问题。", "党员教育管理不够严格的问题。", EXPECTATION),
    (f"点评：{STRENGTHS}但在宣传方面还存在力度不够、亮点提炼不足的问题。",
     "在宣传方面还存在力度不够、亮点提炼不足的问题。", EXPECTATION),
    (f"点评：{STRENGTHS}但也存在村级财务监督不到位的问题，今后要加强监督。",
     "村级财务监督不到位的问题", "今后要加强监督。" + EXPECTATION),
])
def test_single_clause_problem(comment, problem, expectations, build_review, parse_written):
    [unit] = parse_written(one_unit(build_review, comment)).units
    assert [p.text for p in unit.problems] == [problem]
    assert unit.strengths == STRENGTHS
    assert unit.expectations == expectations


@pytest.mark.parametrize("comment, expectation", [
    (f"点评：{STRENGTHS}但还存在以下问题：一是{A}。二是{B}。下一步，提出两点要求：一是加强培训；二是完善制度。", None),
    (f"点评：{STRENGTHS}存在问题：1.{A}。2.{B}。希望李华同志：1.加强培训；2.完善制度；3.抓好落实。", None),
    (f"点评：{STRENGTHS}但还存在以下问题：一是{A}。二是{B}。", "希望李华同志做到：一是加强培训；二是完善制度；三是抓好落实。"),
    (f"点评：{STRENGTHS}但还存在以下问题：\n一是{A}。\n二是{B}。", "希望李华同志做好以下工作：\n1.加强培训；\n2.完善制度；\n3.抓好落实。"),
    (f"点评：{STRENGTHS}但还存在以下问题：一是{A}。二是{B}。", "今后要做到：三是加强培训。"),
    (f"点评：{STRENGTHS}但还存在以下问题：一是{A}。二是{B}。", "李华同志作为新任书记，要求：一是加强培训；二是完善制度。"),
])
def test_requirements_after_problems_are_not_problems(comment, expectation, build_review, parse_written):
    [unit] = parse_written(build_review((HEADING, comment, expectation))).units
    assert [p.text for p in unit.problems] == [f"{A}。", f"{B}。"]
    assert "加强培训" in unit.expectations
    assert "\n" not in unit.expectations


def test_comment_over_several_paragraphs(build_review, parse_written):
    comment = "\n".join([f"点评：{STRENGTHS}", "班子团结，干部作风扎实。", "但还存在以下问题：",
                         f"一是{A}。", f"二是{B}。"])
    expectation = "\n".join([EXPECTATION, "要持续巩固整改成果。"])
    [unit] = parse_written(build_review((HEADING, comment, expectation))).units
    assert unit.strengths == STRENGTHS + "班子团结，干部作风扎实。"
    assert [p.text for p in unit.problems] == [f"{A}。", f"{B}。"]
    assert unit.expectations == EXPECTATION + "要持续巩固整改成果。"
    assert unit.comment.count("\n") == 6


def test_the_report_itself_is_not_the_comment(build_review, parse_written):
    text = build_review((HEADING, f"点评：{STRENGTHS}存在问题：一是{A}。", None)).replace(
        "※※※※※※※※※※※※\n点评", "本人述职如下。存在问题：一是工作不实。二是学习不够。\n点评", 1)
    [unit] = parse_written(text).units
    assert [p.text for p in unit.problems] == [f"{A}。"]


def test_sections_with_omitted_text_only_produce_nothing(build_review, parse_written):
    text = build_review((HEADING, f"点评：{STRENGTHS}存在问题：一是{A}。", None),
                        ("二、请白河乡党委书记王强同志述职。", None, None))
    parsed = parse_written(text)
    assert [u.unit for u in parsed.units] == ["青山镇"]
    assert len(parsed.warnings) == 1
    assert "二、请白河乡党委书记王强同志述职。" in parsed.warnings[0] and "没有点评" in parsed.warnings[0]


def test_comment_without_problems_gives_a_unit_and_a_warning(build_review, parse_written):
    [unit] = (parsed := parse_written(one_unit(build_review, f"点评：{STRENGTHS}"))).units
    assert unit.problems == [] and unit.strengths == STRENGTHS and unit.expectations == EXPECTATION
    assert parsed.warnings and "青山镇" in parsed.warnings[0]


@pytest.mark.parametrize("closing, expected", [
    (f"同志们，总的看，全县基层党建中还存在一些问题和不足。一是{A}。二是{B}。这些问题要认真整改。", [f"{A}。", f"{B}。"]),
    (f"同志们，当前我县基层党建存在的主要问题：\n1.{A}；\n2.{B}；\n3.{C}。\n对此要高度重视。", [A, B, f"{C}。"]),
    ("同志们，大家都讲了存在的问题和不足。下面，我讲三点意见。\n一、提高认识\n第一，要抓责任。", []),
])
def test_overall_problems_in_the_closing_speech(closing, expected, build_review, parse_written):
    parsed = parse_written(one_unit(build_review, f"点评：{STRENGTHS}存在问题：一是{A}。", closing=closing))
    assert [(p.position, p.text) for p in parsed.overall_problems] == list(enumerate(expected, start=1))
    assert len(parsed.units) == 1


def test_title_from_a_title_line_and_no_title(build_review, parse_written):
    text = one_unit(build_review, f"点评：{STRENGTHS}存在问题：一是{A}。")
    titled = "在2022年度全县党组织书记抓基层党建工作述职评议会议上的讲话\n" + text.replace("今天召开2024年度", "今天开会", 1)
    parsed = parse_written(titled)
    assert (parsed.title, parsed.year) == ("2022年度全县党组织书记抓基层党建工作述职评议会议", 2022)
    untitled = parse_written(text.replace("今天召开2024年度全县党组织书记抓基层党建工作述职评议会议。", "会议开始。", 1))
    assert (untitled.title, untitled.year) == (None, None)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_synthetic_transcript_in_each_encoding(encoding, build_review, parse_written):
    text = one_unit(build_review, f"点评：{STRENGTHS}存在问题：一是{A}。二是{B}。")
    parsed = parse_written(text.replace("\n", "\r\n"), encoding=encoding)
    assert [p.text for p in parsed.units[0].problems] == [f"{A}。", f"{B}。"]


@pytest.mark.parametrize("label_lines", [["点评", f"{STRENGTHS}但还存在以下问题：一是{A}。二是{B}。"],
                                         [f"县委书记点评：{STRENGTHS}但还存在以下问题：一是{A}。二是{B}。"],
                                         ["点评意见：", f"{STRENGTHS}但还存在以下问题：", f"一是{A}。", f"二是{B}。"]])
def test_comment_label_on_its_own_line_or_with_the_speaker(label_lines, build_review, parse_written):
    [unit] = parse_written(one_unit(build_review, "\n".join(label_lines))).units
    assert unit.strengths == STRENGTHS
    assert [p.text for p in unit.problems] == [f"{A}。", f"{B}。"]


@pytest.mark.parametrize("speech_start", ["县委书记总结讲话\n同志们：", "过去的一年，全县上下", "总的看，"])
def test_closing_speech_right_after_the_last_comment(speech_start, parse_written):
    text = "\n".join([
        HEADING, "※※※", f"点评：{STRENGTHS}但还存在以下问题：一是{A}。二是{B}。", EXPECTATION,
        f"{speech_start}基层党建工作取得新进展，但还存在一些问题和不足。一是{C}。二是{B}。这些问题要认真解决。",
    ])
    parsed = parse_written(text)
    assert parsed.units[0].expectations == EXPECTATION
    assert [p.text for p in parsed.overall_problems] == [f"{C}。", f"{B}。"]


def test_year_prefers_the_reviewed_year_over_a_date(parse_written):
    text = "\n".join(["2022年1月18日", "同志们：今天召开2021年度述职评议会议。", HEADING,
                      f"点评：{STRENGTHS}存在问题：一是{A}。"])
    parsed = parse_written(text)
    assert (parsed.title, parsed.year) == ("2021年度述职评议会议", 2021)


def test_marker_without_any_named_problem_gives_a_warning(build_review, parse_written):
    parsed = parse_written(one_unit(build_review, f"点评：{STRENGTHS}但还存在一些问题。"))
    [unit] = parsed.units
    assert unit.problems == [] and unit.expectations == EXPECTATION
    assert "青山镇" in parsed.warnings[0]
