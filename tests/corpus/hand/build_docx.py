"""Build the hand-written .docx transcripts of the corpus from the blocks below.

    .venv/bin/python -m tests.corpus.hand.build_docx

A block is a paragraph (str) or a table (a list of rows, each a list of cells; a cell is a str or a list
of paragraphs).
"""
from pathlib import Path

HERE = Path(__file__).parent

H08 = [
    "2024年度街道社区党组织书记抓基层党建工作述职评议会议",
    "同志们：今天召开述职评议会议，请各街道党工委书记述职，区委书记逐一点评。",
    "一、请东湖街道党工委书记黄蓉同志述职。",
    "※※※※※※※※",
    [["亮点", "东湖街道推行“党建+物业”联席会议制度，解决小区停车难、加装电梯等难题80余件。"],
     ["问题", ["街道党工委对社区“两委”成员的日常管理偏松，个别社区干部坐班不经常。",
              "驻区单位党组织参与共建停留在签协议、挂牌子，实质性活动少。"]],
     ["建议", "希望黄蓉同志把共建协议转化为项目清单，一项一项抓落实。"]],
    "二、请城南街道党工委书记赵敏同志述职。",
    "※※※※※※※※",
    [["亮点", "城南街道以“红色网格”为抓手，网格内党员亮身份、做表率，矛盾纠纷就地化解率达到93%。"],
     ["问题", "一是社区党组织书记后备人选不足，年龄偏大。二是新就业群体党建工作起步晚，快递员、外卖员中党员底数不清。"],
     ["建议", "要摸清新就业群体党员底数，建好“暖蜂驿站”等阵地。"]],
    "三、请高新技术产业开发区党工委书记郑凯同志述职。",
    "※※※※※※※※",
    [["亮点", "开发区党工委推行“党建指导员+企业”结对机制，规上企业党组织覆盖率达到85%。"],
     ["问题", "无"],
     ["建议", "要在提升非公企业党组织质量上继续用力。"]],
    "下面，请区委书记作总结讲话。",
    "同志们，从今天述职情况看，各街道抓党建的责任意识明显增强，但我们也要看到，全区街道社区党建还存在一些共性问题：",
    "一是街道“大工委”、社区“大党委”运行不够顺畅，成员单位参与度不高。",
    "二是社区工作者队伍专业化职业化水平不高。",
    "这些问题，要在今年的工作中切实加以解决。",
]


H15 = [
    "2024年度县直部门党组（党委）书记抓基层党建工作述职评议点评表",
    [["单位", "县教育局"], ["述职人", "钱芳"], ["职务", "党组书记"],
     ["工作亮点", "推行“一校一品”党建品牌创建，全县中小学校党组织书记和校长分设工作全部到位。"],
     ["存在问题", ["1.部分学校党组织会议和校长办公会议事范围界定不清。", "2.教师党员发展数量偏少，35岁以下青年教师入党积极性不高。"]],
     ["努力方向", "要健全议事规则，把优秀青年教师及时吸收到党组织中来。"]],
    "",
    [["单位", "县卫生健康局"], ["述职人", "吴刚"], ["职务", "党组书记"],
     ["工作亮点", "公立医院党建工作质量评价在全市排名靠前。"],
     ["存在问题", "乡镇卫生院党支部“三会一课”质量不高，存在以会代课现象。"],
     ["努力方向", "希望吴刚同志抓好基层卫生院党支部标准化建设。"]],
]


def build(blocks, path: Path) -> None:
    import docx

    document = docx.Document()
    for block in blocks:
        if isinstance(block, str):
            document.add_paragraph(block)
            continue
        table = document.add_table(rows=len(block), cols=max(len(row) for row in block))
        for row, cells in zip(table.rows, block):
            for cell, content in zip(row.cells, cells):
                paragraphs = [content] if isinstance(content, str) else content
                cell.text = paragraphs[0]
                for extra in paragraphs[1:]:
                    cell.add_paragraph(extra)
    document.save(path)


if __name__ == "__main__":
    build(H08, HERE / "h08-label-cells.docx")
    build(H15, HERE / "h15-vertical-tables.docx")
