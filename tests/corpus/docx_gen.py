"""The .docx part of the generated corpus: 点评 in tables (a row per unit, or label cells per part)."""
import json
from pathlib import Path

from tests.corpus import generate as gen


def _table(document, rows):
    table = document.add_table(rows=len(rows), cols=max(len(r) for r in rows))
    for row, cells in zip(table.rows, rows):
        for cell, content in zip(row.cells, cells):
            parts = [content] if isinstance(content, str) else content
            cell.text = parts[0]
            for extra in parts[1:]:
                cell.add_paragraph(extra)


def _save(document, name: str, doc, out: Path) -> str:
    document.save(out / f"{name}.docx")
    expected = doc.expected() | {"format": "docx"}
    (out / f"{name}.expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1), encoding="utf-8")
    return name


def row_per_unit(rng, out: Path, name: str, with_comment_column: bool) -> str:
    import docx

    doc = gen.Doc(rng, rng.randint(4, 6))
    document = docx.Document()
    for line in gen.opening(2024):
        document.add_paragraph(line)
    if with_comment_column:
        rows = [["序号", "单位", "书记", "点评意见"]]
        for i, (unit, title, person, _) in enumerate(doc.units):
            body = gen.comment_body(doc, i, "存在问题：", "1.")
            rows.append([str(i + 1), doc.name(i), person, [body, doc.expect[i]]])
    else:
        rows = [["序号", "单位", "职务", "姓名", "主要成绩", "存在问题", "努力方向"]]
        for i, (unit, title, person, _) in enumerate(doc.units):
            problems = [f"{gen._enum('1.', n)}{p}。" for n, p in enumerate(doc.problems[i], 1)] or ["无"]
            rows.append([str(i + 1), doc.name(i), title, person, doc.strengths[i], problems, doc.expect[i]])
    _table(document, rows)
    for line in gen.closing(doc, reported=True):
        document.add_paragraph(line)
    return _save(document, name, doc, out)


def label_cells(rng, out: Path, name: str, labels: tuple[str, str, str], style: str) -> str:
    import docx

    doc = gen.Doc(rng, rng.randint(3, 5), zero_unit=style == "一是")
    document = docx.Document()
    for line in gen.opening(2023):
        document.add_paragraph(line)
    for i in range(len(doc.units)):
        document.add_paragraph(doc.heading(i, gen.HEADINGS[(i + len(name)) % len(gen.HEADINGS)]))
        document.add_paragraph("※※※※※※※※※※")
        document.add_paragraph("点评：")
        problems = gen.numbered(doc.problems[i], style, newline=True).split("\n") if doc.problems[i] else ["无"]
        _table(document, [[labels[0], doc.strengths[i]], [labels[1], problems], [labels[2], doc.expect[i]]])
    for line in gen.closing(doc, reported=False):
        document.add_paragraph(line)
    return _save(document, name, doc, out)


def plain_paragraphs(rng, out: Path, name: str, marker: str, style: str) -> str:
    import docx

    doc = gen.Doc(rng, rng.randint(3, 5))
    document = docx.Document()
    for line in gen.layout_a(doc, marker, style, gen.HEADINGS[len(name) % len(gen.HEADINGS)], True):
        document.add_paragraph(line)
    return _save(document, name, doc, out)


def generate_docx(rng, out: Path) -> list[str]:
    return [
        row_per_unit(rng, out, "d00", with_comment_column=False),
        row_per_unit(rng, out, "d01", with_comment_column=True),
        label_cells(rng, out, "d02", ("工作亮点", "存在问题", "努力方向"), "1."),
        label_cells(rng, out, "d03", ("主要成绩", "差距不足", "希望要求"), "一是"),
        label_cells(rng, out, "d04", ("成效", "问题", "要求"), "；"),
        plain_paragraphs(rng, out, "d05", "不足之处：", "（1）"),
        plain_paragraphs(rng, out, "d06", "但一些问题不容忽视：", "一是"),
    ]
