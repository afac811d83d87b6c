"""The 问题清单 workbooks of the corpus (巡察 / 审计 feedback), for the Excel import's tests.

    .venv/bin/python -m tests.corpus.workbooks.generate_workbooks

Each NAME.xlsx gets NAME.expected.json: the sheet, the header row (1-based), the column of each field,
the number of data rows, the units in order of first appearance, every problem (its row, unit and the
first 12 characters of its text) and the bad rows (row numbers, with the reason).
"""
import datetime as dt
import json
from pathlib import Path

OUT = Path(__file__).parent


def _write(name, sheet_title, title_rows, header, rows, merges=(), bad=(), extra_sheet=None):
    """rows: lists of cell values (None for empty); merges: (column letter, first row, last row) of a unit."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    if extra_sheet:
        notes = book.active
        notes.title = extra_sheet
        notes.append(["填表说明：每行一个问题，责任单位合并单元格表示同一单位。"])
        sheet = book.create_sheet(sheet_title)
    else:
        sheet = book.active
        sheet.title = sheet_title
    for text in title_rows:
        sheet.append([text])
        sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=len(header))
        sheet.cell(sheet.max_row, 1).font = Font(bold=True, size=14)
    sheet.append(header)
    header_row = sheet.max_row
    first_data = header_row + 1
    for row in rows:
        sheet.append(row)
    for column, first, last in merges:
        sheet.merge_cells(f"{column}{first}:{column}{last}")
        sheet[f"{column}{first}"].alignment = Alignment(vertical="center")
    for cells in sheet.iter_rows(min_row=first_data):
        for cell in cells:
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy年m月d日"
    book.save(OUT / f"{name}.xlsx")
    columns = {field: header.index(label) + 1 for field, label in _FIELDS.items() if label in header}
    for alias, field in (("存在问题", "problem"), ("问题描述", "problem")):
        if alias in header:
            columns["problem"] = header.index(alias) + 1
    unit_col, text_col = columns["unit"] - 1, columns["problem"] - 1
    merged_units = {}
    for column, first, last in merges:
        for r in range(first, last + 1):
            merged_units[r] = rows[first - first_data][unit_col]
    problems, units, bad_rows = [], [], []
    for offset, row in enumerate(rows):
        number = first_data + offset
        unit = merged_units.get(number) or row[unit_col]
        text = row[text_col]
        reason = dict(bad).get(number)
        if reason:
            bad_rows.append({"row": number, "reason": reason})
            continue
        problems.append({"row": number, "unit": unit, "text": str(text)[:12]})
        if unit not in units:
            units.append(unit)
    expected = {"sheet": sheet_title, "header_row": header_row, "columns": columns,
                "rows": len(rows), "units": units, "problems": problems, "bad_rows": bad_rows}
    (OUT / f"{name}.expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1), encoding="utf-8")


_FIELDS = {"number": "序号", "unit": "责任单位", "measures": "整改措施", "deadline": "整改时限",
           "owner": "责任人", "note": "备注"}
D = dt.date


def generate():
    _write("xuncha-2024-merged", "问题清单", ["县委第二巡察组巡察反馈问题整改清单"],
           ["序号", "责任单位", "问题描述", "整改措施", "整改时限", "责任人", "备注"],
           [[1, "青山镇", "落实全面从严治党主体责任不到位，党委专题研究党风廉政建设次数偏少", "每季度专题研究不少于1次", D(2025, 3, 31), "李华", None],
            [2, None, "村级财务管理不规范，部分村存在白条入账问题", "开展村级财务专项清理", D(2025, 6, 30), "李华", "限期整改"],
            [3, None, "“三重一大”事项集体决策制度执行不严格", "修订议事规则并严格执行", "立行立改", "李华", None],
            [4, "县教育局", "意识形态工作责任制落实不到位，校园阵地管理有漏洞", "建立阵地管理台账", D(2025, 4, 30), "钱芳", None],
            [5, None, "学校食堂经费管理不规范，账目公开不及时", "每月公示食堂收支", D(2025, 5, 31), "钱芳", None],
            [6, "城南街道", "社区“两委”成员履职能力不强，服务群众意识淡薄", "分批开展履职培训", "长期坚持", "赵敏", "长期坚持"]],
           merges=[("B", 3, 5), ("B", 6, 7)])
    _write("shenji-2023", "审计发现问题", ["县审计局2023年度经济责任审计发现问题", "（整改台账）"],
           ["序号", "存在问题", "责任单位", "责任人", "整改时限", "整改措施"],
           [[1, "专项资金拨付滞后，部分项目资金闲置超过一年", "县农业农村局", "欧阳明远", D(2024, 12, 31), "清理闲置资金并按程序收回"],
            [2, "政府采购程序不规范，存在化整为零规避招标现象", "县农业农村局", "欧阳明远", D(2024, 10, 31), "完善采购内控制度"],
            [3, "固定资产账实不符，部分设备未登记入账", "县卫生健康局", "吴刚", D(2024, 9, 30), "开展资产清查"],
            [4, "公务接待超标准，个别接待无公函", "县卫生健康局", "吴刚", "立行立改", "严格执行接待规定"]])
    _write("xuncha-reordered", "Sheet1", [],
           ["责任人", "整改时限", "问题描述", "责任单位", "序号", "备注", "整改措施"],
           [["那日苏", D(2025, 8, 31), "苏木党委对嘎查党支部指导不够，个别支部组织生活不经常", "宝力根苏木", 1, None, "建立包联指导制度"],
            ["那日苏", "2025年9月30日", "牧区流动党员管理缺位，失联党员排查不彻底", "宝力根苏木", 2, None, "开展流动党员排查"],
            ["乌力吉", D(2025, 6, 30), "嘎查集体牧场承包合同不规范，收益未按时公开", "巴彦嘎查", 3, "合同需重签", "规范合同并公开收益"],
            ["马丽", "长期坚持", "村级后备力量不足，35岁以下“两委”成员偏少", "红旗村", 4, None, "建立后备人才库"]])
    _write("xuncha-bad-row", "问题清单", ["县委第一巡察组反馈意见整改任务清单"],
           ["序号", "责任单位", "存在问题", "整改措施", "整改时限", "责任人", "备注"],
           [[1, "石桥镇", "基层党组织书记队伍老化，年轻书记储备不足", "选派优秀年轻干部", D(2025, 7, 31), "陈晓梅", None],
            [2, None, "党费收缴使用管理不规范，个别支部未按月收缴", "开展党费专项检查", D(2025, 4, 30), "陈晓梅", None],
            [3, "柳河乡", "乡党委议事规则不健全，党政联席会议记录不完整", "修订议事规则", D(2025, 5, 31), "何建军", None],
            [4, "柳河乡", "驻村工作队考勤制度落实不严，在岗率偏低", "实行每日打卡", "2025年13月40日", "何建军", None],
            [5, "东湖街道", "网格员队伍不稳定，流失率较高", "提高网格员待遇保障", D(2025, 12, 31), "黄蓉", None]],
           merges=[("B", 3, 4)], bad=[(6, "整改时限不是日期")])
    _write("shenji-two-sheets", "整改清单", ["县审计局审计查出问题整改清单"],
           ["序号", "责任单位", "问题描述", "整改时限", "整改措施", "责任人", "备注"],
           [[1, "县交通运输局", "工程项目结算审核不严，多计工程款约12万元", D(2025, 3, 31), "追回多计款项", "林涛", None],
            [2, None, "项目档案资料不完整，部分变更无审批手续", D(2025, 6, 30), "补齐档案资料", "林涛", None],
            [3, "高新技术产业开发区", "招商引资优惠政策兑现不规范，缺少评估", D(2025, 9, 30), "建立政策兑现评估机制", "郑凯", None],
            [4, None, "园区企业党建指导员联系服务不经常", "长期坚持", "建立联系服务台账", "郑凯", None],
            [5, None, "国有资产出租未经评估，租金偏低", D(2025, 6, 30), "重新评估并公开招租", "郑凯", "限期整改"]],
           merges=[("B", 3, 4), ("B", 5, 7)], extra_sheet="说明")


if __name__ == "__main__":
    generate()
    print(f"workbooks written to {OUT}")
