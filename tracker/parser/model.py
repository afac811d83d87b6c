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

    def to_dict(self) -> dict:
        return {
            "unit": self.unit,
            "unit_kind": self.unit_kind,
            "secretary": self.secretary,
            "secretary_title": self.secretary_title,
            "strengths": self.strengths,
            "problems": [{"text": p.text} for p in self.problems],
            "expectations": self.expectations,
        }


@dataclass
class ParsedReview:
    title: str | None
    year: int | None
    units: list[ParsedUnit]
    overall_problems: list[ParsedProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def problem_count(self) -> int:
        return sum(len(unit.problems) for unit in self.units)

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "year": self.year,
            "units": [unit.to_dict() for unit in self.units],
            "overall_problems": [{"text": p.text} for p in self.overall_problems],
            "warnings": list(self.warnings),
        }

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
        if self.overall_problems:
            lines.append("")
            lines.append(f"全县共性问题（{len(self.overall_problems)}）：")
            lines.extend(f"  {p.position}) {p.text}" for p in self.overall_problems)
        if self.warnings:
            lines.append("")
            lines.append("提示：")
            lines.extend(f"  - {warning}" for warning in self.warnings)
        return "\n".join(lines)
