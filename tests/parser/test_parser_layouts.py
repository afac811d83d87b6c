"""Issue 8 items 1-3: cues, layouts and headings, one small transcript each."""
import pytest

from tracker.parser import parse_document, parse_text

OPEN = "同志们：\n今天召开2024年度全县党组织书记抓基层党建工作述职评议会议。\n"
CLOSE = "下面，进行会议第二项议程。\n※※※\n"
HEAD = "一、请青山镇党委书记李华同志述职。\n※※※\n"
S = "青山镇思路清晰，产业党支部作用明显。"
A, B = "村级后备力量储备不足", "党员积分管理流于形式"


def problems(text: str) -> list[list[str]]:
    return [[p.text for p in u.problems] for u in parse_text(OPEN + text + CLOSE).units]


@pytest.mark.parametrize("turn", [
    "不足之处：", "问题方面：", "差距和不足：", "但还有一些差距，", "薄弱环节主要是：", "有待改进的方面：",
    "存在的短板：", "但一些问题不容忽视：", "还存在3个方面突出问题：", "但存在的问题主要有两个方面：",
    "同时也要看到，还有一些短板和弱项。", "然而，工作中仍有不少薄弱之处：", "【存在问题】", "存在问题：\n",
])
def test_turns_to_problems_from_cues(turn):
    assert problems(HEAD + f"点评：{S}{turn}一是{A}。二是{B}。\n希望李华同志抓好整改。\n") == [[f"{A}。", f"{B}。"]]


def test_numbered_strengths_causes_and_measures_are_not_problems():
    comment = (f"点评：{S}成效主要体现在：一是班子团结。二是作风扎实。但还存在以下问题：一是{A}。二是{B}。"
               "究其原因，一是思想重视不够。二是措施不实。整改措施：1.建立台账；2.限期整改。\n")
    assert problems(HEAD + comment) == [[f"{A}。", f"{B}。"]]


@pytest.mark.parametrize("requirements", ["一要加强培训，二要完善制度。", "会议要求：1.加强培训；2.完善制度。",
                                          "努力方向：一是加强培训。二是完善制度。"])
def test_requirements_after_problems_are_not_problems(requirements):
    assert problems(HEAD + f"点评：{S}存在问题：一是{A}。二是{B}。{requirements}\n") == [[f"{A}。", f"{B}。"]]


@pytest.mark.parametrize("heading, unit, name", [
    ("二、请县交通运输局何建军同志（主持党组工作）述职", "县交通运输局", "何建军"),
    ("3.请红旗村党支部书记、村委会主任马丽同志述职。", "红旗村", "马丽"),
    ("首先，请白河乡党委书记王强同志述职，大家欢迎！", "白河乡", "王强"),
    ("（四）宝力根苏木党委书记那日苏同志述职", "宝力根苏木", "那日苏"),
    ("5、请巴彦嘎查党支部书记、嘎查达乌力吉同志述职", "巴彦嘎查", "乌力吉"),
    ("六、请县直机关工委书记孙伟同志述职。", "县直机关工委", "孙伟"),
    ("⑦请新华社区党总支书记许静同志作述职报告。", "新华社区", "许静"),
    ("第八，请城南街道党工委书记赵敏同志述职。", "城南街道", "赵敏"),
    ("9.县妇联主席王芳同志述职", "县妇联", "王芳"),
])
def test_heading_forms(heading, unit, name):
    [found] = parse_text(OPEN + f"{heading}\n※※※\n点评：工作扎实。存在问题：一是{A}。\n" + CLOSE).units
    assert (found.unit, found.secretary, [p.text for p in found.problems]) == (unit, name, [f"{A}。"])


def test_a_wrapped_line_starting_with_an_enumerator_does_not_end_the_comment():
    text = (HEAD + f"点评：{S}但还存在以下问题：一是{A}，个别村两年未调整后备\n"
            "（二）期间的台账。二是党员积分管理流于形式，积分台账与实际表现\n脱节。\n希望李华同志抓好整改。\n")
    assert problems(text) == [[f"{A}，个别村两年未调整后备（二）期间的台账。", "党员积分管理流于形式，积分台账与实际表现脱节。"]]


@pytest.mark.parametrize("intro, leads", [
    ("下面逐一点评。", ["1.青山镇。", "2.县教育局。"]),
    ("县委书记逐一进行了点评。", ["对青山镇：", "对县教育局："]),
    ("点评：", ["一、青山镇：", "二、县教育局："]),
])
def test_all_comments_in_one_block_are_matched_back_to_units(intro, leads):
    text = ("一、请青山镇党委书记李华同志述职。\n※※※\n二、请县教育局党组书记钱芳同志述职。\n※※※\n"
            f"{intro}{leads[0]}{S}存在问题：一是{A}。\n希望李华同志抓好整改。\n"
            f"{leads[1]}县教育局工作扎实。不足之处：1.{B}；2.师德师风建设有短板。\n")
    review = parse_text(OPEN + text + CLOSE)
    assert [u.unit for u in review.units] == ["青山镇", "县教育局"]
    assert [[p.text for p in u.problems] for u in review.units] == [[f"{A}。"], [B, "师德师风建设有短板。"]]


@pytest.mark.parametrize("labels", [("【工作亮点】", "【存在问题】", "【努力方向】"), ("一、成绩", "二、问题", "三、要求")])
def test_labelled_parts_with_problems_one_paragraph_each(labels):
    text = HEAD + f"点评：\n{labels[0]}\n{S}\n{labels[1]}\n{A}，35岁以下成员偏少。\n{B}。\n{labels[2]}\n要抓好整改。\n"
    [unit] = parse_text(OPEN + text + CLOSE).units
    assert [p.text for p in unit.problems] == [f"{A}，35岁以下成员偏少。", f"{B}。"]
    assert unit.strengths == S and unit.expectations == "要抓好整改。"


def test_closing_speech_in_reported_speech_gives_overall_problems():
    closing = (f"县委书记在总结讲话中指出，全县基层党建取得新成效，但还存在一些共性问题：1.{A}；2.{B}。"
               "会议要求：1.各单位要逐条整改；2.组织部要跟踪督办。\n")
    review = parse_text(OPEN + HEAD + f"点评：{S}存在问题：一是{A}。\n" + CLOSE + closing)
    assert [p.text for p in review.overall_problems] == [A, f"{B}。"]


def test_docx_row_per_unit_table_keeps_labels_out_of_problems(write_docx):
    path = write_docx(["同志们：今天召开2024年度述职评议会议。",
                       [["序号", "单位", "职务", "姓名", "主要成绩", "存在问题", "努力方向"],
                        ["1", "青山镇", "党委书记", "李华", S, [f"1.{A}。", f"2.{B}。"], "希望李华同志抓好整改。"],
                        ["2", "白河乡", "党委书记", "王强", "白河乡工作扎实。", "无", "要再接再厉。"]]])
    review = parse_document(path.read_bytes(), path.name)
    assert [(u.unit, u.secretary) for u in review.units] == [("青山镇", "李华"), ("白河乡", "王强")]
    assert [p.text for p in review.units[0].problems] == [f"{A}。", f"{B}。"]
    assert review.units[1].problems == [] and review.units[1].warnings[0]["code"] == "no_problems"
    assert all("存在问题" not in p.text and "【" not in p.text for u in review.units for p in u.problems)


def test_unnumbered_overall_problems_after_a_colon_in_reported_speech():
    closing = (f"县委书记在总结讲话中指出，全县基层党建还存在一些共性问题：{A}；{B}；阵地利用率不高。"
               "会议要求各单位抓好整改。\n")
    review = parse_text(OPEN + HEAD + f"点评：{S}存在问题：一是{A}。\n" + CLOSE + closing)
    assert [p.text for p in review.overall_problems] == [A, B, "阵地利用率不高。"]


def test_a_closing_that_only_mentions_problems_gives_none():
    closing = "同志们，刚才的点评既肯定了成绩，也指出了存在的突出问题，大家要认真整改。\n"
    review = parse_text(OPEN + HEAD + f"点评：{S}存在问题：一是{A}。\n" + CLOSE + closing)
    assert review.overall_problems == []


@pytest.mark.parametrize("comment", [
    f"（一）主要成绩：{S}（二）存在问题：1.{A}；2.{B}。（三）努力方向：要抓好整改。",
    f"工作亮点：{S}存在问题：{A}；{B}。努力方向：要抓好整改。",
    f"【亮点】{S}【不足】一是{A}。二是{B}。【建议】要抓好整改。",
    f"{S}问题：1.{A}；2.{B}。要求：要抓好整改。",
])
def test_labels_inside_one_paragraph(comment):
    [unit] = parse_text(OPEN + HEAD + f"点评：{comment}\n" + CLOSE).units
    assert [p.text.rstrip("。") for p in unit.problems] == [A, B]
    assert unit.strengths == S and unit.expectations == "要抓好整改。"


def test_a_block_comment_on_a_unit_that_did_not_report_is_unplaced_not_swallowed():
    text = ("一、请青山镇党委书记李华同志述职。\n※※※\n二、请县教育局党组书记钱芳同志述职。\n※※※\n下面逐一点评。\n"
            f"1.青山镇。{S}存在问题：一是{A}。\n2.县教育局。工作有特色。不足之处：一是{B}。\n"
            "3.红旗村。书面点评如下：存在问题：一是村务公开不及时。\n")
    closing = "县委书记在总结讲话中指出，还存在一些共性问题：1.责任压得不实；2.基础不牢。\n"
    review = parse_text(OPEN + text + CLOSE + closing)
    assert [[p.text for p in u.problems] for u in review.units] == [[f"{A}。"], [f"{B}。"]]
    assert [p["text"][:6] for p in review.unplaced] == ["3.红旗村。"]
    assert [p.text for p in review.overall_problems] == ["责任压得不实", "基础不牢。"]


def test_docx_table_with_a_row_per_problem_and_a_merged_unit_cell(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("2024年度述职评议会议点评问题汇总表")
    rows = [("序号", "单位", "存在问题", "努力方向"), ("1", "青山镇", f"{A}。", "抓好整改。"),
            ("2", "青山镇", f"{B}。", "抓好整改。"), ("3", "白河乡", "阵地利用率不高。", "再接再厉。")]
    table = document.add_table(rows=4, cols=4)
    for row, values in zip(table.rows, rows):
        for cell, value in zip(row.cells, values):
            cell.text = value
    table.cell(1, 1).merge(table.cell(2, 1)).text = "青山镇"
    path = tmp_path / "table.docx"
    document.save(path)
    review = parse_document(path.read_bytes(), path.name)
    assert [(u.unit, [p.text for p in u.problems]) for u in review.units] == [
        ("青山镇", [f"{A}。", f"{B}。"]), ("白河乡", ["阵地利用率不高。"])]


@pytest.mark.parametrize("marker", ["存在问题：", "但还存在以下问题："])
def test_a_second_list_of_problems_after_the_first_is_read_too(marker):
    comment = f"点评：{S}{marker}一是{A}。二是{B}。同时，在宣传方面还有不足：1.亮点提炼不够；2.宣传力度不大。希望李华同志抓好整改。\n"
    assert problems(HEAD + comment) == [[f"{A}。", f"{B}。", "亮点提炼不够", "宣传力度不大。"]]
