"""Generate the corpus: transcripts combining layouts × markers × numbering × encodings × wrapping.

    .venv/bin/python -m tests.corpus.generate      # rewrites tests/corpus/generated/ (committed)

Each document gets a sidecar NAME.expected.json: units in order, each with the start (first 12
characters) and end (last 6, punctuation stripped) of every problem, and the overall problems.
"""
import json
import random
import shutil
from pathlib import Path

from tests.corpus.pools import EXPECTATIONS, OVERALL, PROBLEMS, STRENGTHS, UNITS

OUT = Path(__file__).parent / "generated"
CN = "一二三四五六七八九十"

MARKERS = [  # phrasings never listed as phrases in the reader; each followed by a list
    "但还存在以下问题：", "不足之处：", "问题方面：", "差距和不足：", "但还有一些差距，", "薄弱环节主要是：",
    "有待改进的方面：", "存在的短板：", "但一些问题不容忽视：", "但还存在3个方面突出问题：",
    "同时也要看到，工作中还有一些短板和弱项：", "但对照高质量发展要求，还有明显差距，主要是：",
    "不过，还有几个方面需要改进：", "然而，工作中仍有不少薄弱之处：", "但也要看到，欠缺的地方还不少：",
]
NUMBERING = ["一是", "1.", "（1）", "第一，", "①", "（一）", "1、", "；"]
HEADINGS = [
    "{cn}、请{unit}{title}{name}同志述职。",
    "{n}.请{unit}{title}{post}{name}同志述职",
    "（{cn}）首先，请{unit}{title}{name}同志述职，大家欢迎！",
    "{n}、{unit}{title}{post}{name}同志述职",
    "{cn}、下面请{unit}{title}{name}同志作述职报告。",
    "{n}．请{unit}{title}{name}同志（主持工作）述职。",
    "第{cn}，请{unit}{title}{name}同志述职。",
    "{unit}{title}{name}同志述职，大家欢迎！",
    "({n})接下来，有请{unit}{title}{post}{name}同志述职",
]
LABELS = ["点评：", "【点评】", "点评意见：", "县委书记点评：", ""]  # "": no label after ※※※
STRENGTH_LISTS = ["主要体现在：一是班子团结、作风扎实；二是重点任务推进有力；三是群众满意度较高。",
                  "亮点有三：第一，阵地建设规范；第二，党员管理严格；第三，服务群众用心。"]
CAUSES = ["究其原因，主要是抓党建的责任意识还不够强，工作办法不多。",
          "产生这些问题的原因：一是思想认识不到位；二是制度执行不严格。"]


def _enum(style: str, number: int) -> str:
    cn = _cn(number)
    return {"一是": f"{cn}是", "1.": f"{number}.", "（1）": f"（{number}）", "第一，": f"第{cn}，",
            "①": "①②③④⑤⑥⑦⑧⑨⑩"[number - 1], "（一）": f"（{cn}）", "1、": f"{number}、", "；": ""}[style]


def _cn(number: int) -> str:
    return CN[number - 1] if number <= 10 else "十" + CN[number - 11]


def numbered(items: list[str], style: str, newline: bool = False) -> str:
    if style == "；":
        return "；".join(items) + "。"
    sep = "\n" if newline else ""
    stop = "；" if style in ("1.", "（1）", "①", "1、") else "。"
    parts = [f"{_enum(style, n)}{item}{stop if n < len(items) else '。'}" for n, item in enumerate(items, 1)]
    return sep.join(parts)


class Doc:
    def __init__(self, rng: random.Random, count: int, zero_unit: bool = False):
        self.rng = rng
        self.units = rng.sample(UNITS, count)
        problems = rng.sample(PROBLEMS, count * 3)
        self.problems = [problems[i * 3:i * 3 + rng.choice((1, 2, 2, 3))] for i in range(count)]
        if zero_unit:
            self.problems[rng.randrange(count)] = []
        self.strengths = [rng.choice(STRENGTHS).format(u=u[0]) for u in self.units]
        self.expect = [rng.choice(EXPECTATIONS).format(u=u[0], n=u[2]) for u in self.units]
        self.overall: list[str] = []

    def heading(self, index: int, form: str) -> str:
        unit, title, name, post = self.units[index]
        return form.format(cn=_cn(index + 1), n=index + 1, unit=unit, title=title, name=name,
                           post=f"、{post}" if post else "")

    def name(self, index: int) -> str:
        """The unit as the reader should name it: 县直机关 + 工委书记 is the 县直机关工委."""
        unit, title = self.units[index][:2]
        return unit + ("工委" if title == "工委书记" else "")

    def expected(self) -> dict:
        return {"units": [{"unit": self.name(i), "problems": [_shape(p) for p in ps]}
                          for i, ps in enumerate(self.problems)],
                "overall": [_shape(p) for p in self.overall]}


def _shape(text: str) -> dict:
    return {"start": text[:12], "end": text.rstrip("。；;，,")[-6:]}


def opening(year: int) -> list[str]:
    return ["同志们：", f"今天，我们召开{year}年度全县党组织书记抓基层党建工作述职评议会议，听取各单位党组织书记述职。",
            "第一项议程，请各单位党组织书记依次述职，每人不超过8分钟，由我逐一点评。"]


def closing(doc: Doc, reported: bool) -> list[str]:
    lines = ["下面，进行会议第二项议程，请县委常委、组织部部长作综合点评。", "※※※※※※※※※※"]
    if reported:
        doc.overall = doc.rng.sample(OVERALL, 3)
        items = numbered(doc.overall, "1.")
        lines.append(f"县委书记在总结讲话中指出，一年来全县基层党建工作取得新成效，但还存在一些共性问题：{items}")
        lines.append("会议要求：1.各单位要对照点评意见逐条整改；2.县委组织部要跟踪督办。")
    return lines


def comment_body(doc: Doc, i: int, marker: str, style: str, newline: bool = False) -> str:
    items = doc.problems[i]
    if not items:
        return doc.strengths[i]
    return doc.strengths[i] + marker + ("\n" if newline else "") + numbered(items, style, newline)


def layout_a(doc: Doc, marker: str, style: str, form: str, reported: bool, label: str = "点评：",
             extras: bool = False) -> list[str]:
    """extras: numbered strengths before the problems and causes after them (neither is a problem)."""
    lines = opening(2024)
    for i in range(len(doc.units)):
        body = comment_body(doc, i, marker, style, newline=doc.rng.random() < 0.3)
        if extras:
            body = body.replace(doc.strengths[i], doc.strengths[i] + doc.rng.choice(STRENGTH_LISTS), 1)
            if doc.problems[i]:
                body += doc.rng.choice(CAUSES)
        lines += [doc.heading(i, form), "※※※※※※※※※※", label + body, doc.expect[i]]
    return lines + closing(doc, reported)


def layout_b(doc: Doc, marker: str, style: str, form: str, reported: bool) -> list[str]:
    lines = opening(2023)
    for i in range(len(doc.units)):
        lines += [doc.heading(i, form), "※※※※※※※※※※"]
    lead = doc.rng.choice(["{n}.{u}。", "对{u}：", "{cn}、{u}：", "关于{u}的点评："])
    lines.append("下面，我对各位书记的述职逐一进行点评。")
    for i, unit in enumerate(doc.units):
        text = lead.format(n=i + 1, cn=_cn(i + 1), u=doc.name(i)) + comment_body(doc, i, marker, style)
        lines += [text, doc.expect[i]]
    return lines + closing(doc, reported)


def layout_c(doc: Doc, style: str, form: str, reported: bool, labels: tuple[str, str, str]) -> list[str]:
    lines = opening(2022)
    for i in range(len(doc.units)):
        lines += [doc.heading(i, form), "※※※※※※※※※※", "点评：", labels[0], doc.strengths[i], labels[1]]
        if doc.problems[i]:
            lines += numbered(doc.problems[i], style, newline=True).split("\n") if style != "；" else \
                [p + "。" for p in doc.problems[i]]
        else:
            lines.append("无。")
        lines += [labels[2], doc.expect[i]]
    return lines + closing(doc, reported)


def layout_e(doc: Doc, marker: str, form: str, reported: bool) -> list[str]:
    lines = opening(2024)
    for i in range(len(doc.units)):
        lines += [doc.heading(i, form), "※※※※※※※※※※", "点评：" + doc.strengths[i]]
        if doc.problems[i]:
            lines += [marker] + [p + "。" for p in doc.problems[i]]
        lines.append(doc.expect[i])
    return lines + closing(doc, reported)


def hard_wrap(text: str, width: int) -> str:
    out = []
    for line in text.split("\n"):
        out.extend([line[i:i + width] for i in range(0, len(line), width)] or [""])
    return "\n".join(out)


def write_txt(name: str, lines: list[str], doc: Doc, encoding: str, wrap: int = 0) -> None:
    text = "\n".join(lines) + "\n"
    if wrap:
        text = hard_wrap(text, wrap)
    data = text.encode("gb18030") if encoding == "gb18030" else text.encode("utf-8")
    if encoding == "utf-8-sig":
        data = b"\xef\xbb\xbf" + data
    (OUT / f"{name}.txt").write_bytes(data)
    _sidecar(name, doc, {"encoding": encoding, "wrap": wrap})


def _sidecar(name: str, doc: Doc, extra: dict) -> None:
    expected = doc.expected() | extra
    (OUT / f"{name}.expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1), encoding="utf-8")


def generate() -> list[str]:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir()
    rng = random.Random(8)
    names = []
    encodings = ["utf-8", "utf-8-sig", "gb18030"]
    for n, marker in enumerate(MARKERS):  # a: every marker, numbering and heading form, some wrapped
        doc = Doc(rng, rng.randint(3, 5), zero_unit=n % 5 == 4)
        style = NUMBERING[n % len(NUMBERING)]
        name = f"a{n:02d}"
        write_txt(name, layout_a(doc, marker, style, HEADINGS[n % len(HEADINGS)], n % 3 == 0),
                  doc, encodings[n % 3], wrap=(0, 23, 0, 37, 0)[n % 5])
        names.append(name)
    for n in range(10):  # a again: other 点评 labels (or none), numbered strengths, causes after problems
        doc = Doc(rng, rng.randint(3, 5), zero_unit=n == 3)
        name = f"a{15 + n:02d}"
        write_txt(name, layout_a(doc, MARKERS[(n * 7) % len(MARKERS)], NUMBERING[(n * 3 + 1) % len(NUMBERING)],
                                 HEADINGS[(n + 4) % len(HEADINGS)], n % 2 == 1, LABELS[n % len(LABELS)], n % 3 != 2),
                  doc, encodings[n % 3], wrap=(0, 0, 41, 0, 19)[n % 5])
        names.append(name)
    for n in range(6):  # b: all 点评 in one block
        doc = Doc(rng, rng.randint(3, 6))
        name = f"b{n:02d}"
        write_txt(name, layout_b(doc, MARKERS[(n * 4) % len(MARKERS)], NUMBERING[(n * 3) % 8],
                                 HEADINGS[(n + 2) % len(HEADINGS)], n % 2 == 1), doc, encodings[n % 3],
                  wrap=(0, 0, 29)[n % 3])
        names.append(name)
    label_sets = [("【工作亮点】", "【存在问题】", "【努力方向】"), ("一、主要成绩", "二、存在问题", "三、下一步要求"),
                  ("成绩：", "问题：", "要求："), ("【主要成效】", "【差距不足】", "【希望要求】")]
    for n, labels in enumerate(label_sets * 2):  # c: labelled parts
        doc = Doc(rng, rng.randint(3, 4), zero_unit=n == 5)
        name = f"c{n:02d}"
        write_txt(name, layout_c(doc, NUMBERING[(n * 5) % 8], HEADINGS[n % len(HEADINGS)], n % 2 == 0, labels),
                  doc, encodings[(n + 1) % 3])
        names.append(name)
    for n in range(5):  # e: one paragraph per problem, no numbering
        doc = Doc(rng, rng.randint(3, 5))
        name = f"e{n:02d}"
        write_txt(name, layout_e(doc, ["存在问题：", "不足之处：", "差距和短板：", "但也存在一些问题：", "需要改进的地方："][n],
                                 HEADINGS[(n + 3) % len(HEADINGS)], n % 2 == 0), doc, encodings[n % 3])
        names.append(name)
    from tests.corpus.docx_gen import generate_docx
    names += generate_docx(rng, OUT)
    return names


if __name__ == "__main__":
    print(f"{len(generate())} documents written to {OUT}")


LABEL_SETS = [("【工作亮点】", "【存在问题】", "【努力方向】"), ("一、主要成绩", "二、存在问题", "三、下一步要求"),
              ("成绩：", "问题：", "要求："), ("【主要成效】", "【差距不足】", "【希望要求】")]
E_MARKERS = ["存在问题：", "不足之处：", "差距和短板：", "但也存在一些问题：", "需要改进的地方："]


def random_transcript(seed: int) -> tuple[str, dict]:
    """One random combination (layout, marker, numbering, heading, label, extras, wrapping), not written
    to disk: the corpus sweep reads hundreds of them to find combinations the committed corpus misses."""
    rng = random.Random(1000 + seed)
    doc = Doc(rng, rng.randint(2, 5), zero_unit=rng.random() < 0.2)
    kind = rng.choice("abce")
    marker, style, form, reported = (rng.choice(MARKERS), rng.choice(NUMBERING), rng.choice(HEADINGS),
                                     rng.random() < 0.5)
    if kind == "a":
        lines = layout_a(doc, marker, style, form, reported, rng.choice(LABELS), rng.random() < 0.5)
    elif kind == "b":
        lines = layout_b(doc, marker, style, form, reported)
    elif kind == "c":
        lines = layout_c(doc, style, form, reported, rng.choice(LABEL_SETS))
    else:
        lines = layout_e(doc, rng.choice(E_MARKERS), form, reported)
    text = "\n".join(lines) + "\n"
    width = rng.choice([0, 0, 0, 13, 19, 23, 29, 37, 41])
    return (hard_wrap(text, width) if width else text), doc.expected()
