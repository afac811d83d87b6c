"""What the parser returns, and the errors it raises."""
from dataclasses import dataclass, field


class ParseError(Exception):
    """Base of the parser's errors; str(error) is a message meant for the user."""


class UnreadableDocumentError(ParseError):
    """The bytes are not a readable .txt or .docx (wrong type, undecodable, corrupt)."""


class NotAReviewError(ParseError):
    """The document reads fine but holds no 述职 headings followed by a 点评."""


@dataclass(frozen=True)
class ParsedProblem:
    text: str
    position: int


def warning(code: str, message: str) -> dict:
    """A per-unit warning: a machine code (see WARNING_CODES) and a Chinese message for the user."""
    return {"code": code, "message": message}


# The codes of ParsedUnit.warnings, for an import preview to highlight.
WARNING_CODES = {
    "no_problems": "没有识别出问题（每个0问题的单位都会提示）",
    "inferred_list": "没有找到“存在问题”一类的标记，按内容推断某个列表是问题",
    "no_marker": "没有找到问题标记，按“不足、不够、有待”等字样认定了问题",
    "kind_guessed": "列表的性质（问题、成绩还是要求）是猜测的",
    "heading_loose": "述职标题或点评对应的单位是宽松匹配的",
    "maybe_missed": "问题之外的文字里还有“不足、不够、问题”等字样，可能漏了问题",
    "single_problem": "问题部分只分出一条，可能应拆成多条",
    "split_guessed": "问题没有编号，按句号、分号拆分，条数可能不对",
    "comment_guessed": "没有“点评：”字样，按位置把※※※之后的文字当作点评",
}


@dataclass
class ParsedUnit:
    index: int
    heading: str
    unit: str
    unit_kind: str
    secretary: str
    secretary_title: str
    strengths: str
    problems: list[ParsedProblem]
    expectations: str
    comment: str
    warnings: list[dict] = field(default_factory=list)           # [{"code", "message"}]
    source_paragraphs: list[dict] = field(default_factory=list)  # [{"index", "text"}]: the 点评 as read

    def to_dict(self, details: bool = False) -> dict:
        data = {
            "unit": self.unit,
            "unit_kind": self.unit_kind,
            "secretary": self.secretary,
            "secretary_title": self.secretary_title,
            "strengths": self.strengths,
            "problems": [{"text": p.text} for p in self.problems],
            "expectations": self.expectations,
        }
        if details:
            data.update(heading=self.heading, warnings=[dict(w) for w in self.warnings],
                        source_paragraphs=[dict(p) for p in self.source_paragraphs])
        return data


@dataclass
class ParsedReview:
    title: str | None
    year: int | None
    units: list[ParsedUnit]
    overall_problems: list[ParsedProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unplaced: list[dict] = field(default_factory=list)  # [{"index", "text"}]: paragraphs no unit took

    @property
    def problem_count(self) -> int:
        return sum(len(unit.problems) for unit in self.units)

    @property
    def units_to_check(self) -> int:
        return sum(1 for unit in self.units if unit.warnings)

    def to_dict(self, details: bool = False) -> dict:
        """The agreed JSON; details=True adds per-unit heading, warnings and source_paragraphs, and the
        review's unplaced paragraphs and units_to_check (new keys only, existing ones unchanged)."""
        data = {
            "title": self.title,
            "year": self.year,
            "units": [unit.to_dict(details) for unit in self.units],
            "overall_problems": [{"text": p.text} for p in self.overall_problems],
            "warnings": list(self.warnings),
        }
        if details:
            data.update(unplaced=[dict(p) for p in self.unplaced], units_to_check=self.units_to_check)
        return data

    def format_text(self) -> str:
        lines = [self.title or "述职评议会议（未识别到会议名称）"]
        if self.year and str(self.year) not in lines[0]:
            lines[0] += f"（{self.year}年度）"
        lines.append(f"共 {len(self.units)} 个单位，{self.problem_count} 个问题；"
                     f"全县共性问题 {len(self.overall_problems)} 个")
        for unit in self.units:
            lines.append("")
            lines.append(f"{unit.index}. {unit.unit}（{unit.unit_kind}）  "
                         f"{unit.secretary_title}：{unit.secretary}")
            if unit.strengths:
                lines.append(f"   主要成绩：{unit.strengths}")
            lines.append(f"   存在问题（{len(unit.problems)}）：" if unit.problems else "   存在问题：无")
            lines.extend(f"     {p.position}) {p.text}" for p in unit.problems)
            if unit.expectations:
                lines.append(f"   希望要求：{unit.expectations}")
            lines.extend(f"   ⚠ {w['message']}" for w in unit.warnings)
        if self.overall_problems:
            lines.append("")
            lines.append(f"全县共性问题（{len(self.overall_problems)}）：")
            lines.extend(f"  {p.position}) {p.text}" for p in self.overall_problems)
        if self.unplaced:
            lines.append("")
            lines.append(f"未能归属的段落（{len(self.unplaced)}）：")
            lines.extend(f"  [{p['index']}] {p['text'][:60]}" for p in self.unplaced)
        if self.warnings:
            lines.append("")
            lines.append("提示：")
            lines.extend(f"  - {warning}" for warning in self.warnings)
        return "\n".join(lines)
