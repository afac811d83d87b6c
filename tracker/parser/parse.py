"""The parser's entry points: text or document bytes in, a ParsedReview out."""
from .confidence import unit_warnings
from .layout import apply_block, find_unplaced, orphan_comments, take_unlabelled
from .loose import NO_UNIT, unit_from_comment
from .model import NotAReviewError, ParsedProblem, ParsedReview, ParsedUnit
from .overall import find_overall_problems, find_title, find_year
from .paragraphs import clean_line, to_paragraphs
from .patterns import COMMENT_START_RE
from .problems import split_comment
from .reader import read_document
from .sections import find_sections, is_heading, split_heading_lines, unit_kind

LOOKED_FOR = ("查找的是形如“一、请XX镇党委书记XXX同志述职。”或“13.请县XX局党组书记XX同志述职”的述职标题，"
              "其后跟着“点评：”段落 (looked for headings like '请…书记…同志述职' followed by '点评：')")


def parse_document(data: bytes, filename: str) -> ParsedReview:
    return parse_text(read_document(data, filename))


def parse_text(text: str) -> ParsedReview:
    """text may be what read_document returned: the warnings it carries (bad bytes) are kept."""
    paragraphs = split_heading_lines(to_paragraphs(text, is_heading))
    sections = find_sections(paragraphs)
    loose_match, block_end = apply_block(paragraphs, sections)
    unlabelled = take_unlabelled(paragraphs, sections)
    units: list[ParsedUnit] = []
    warnings: list[str] = list(getattr(text, "warnings", ()))
    for number, section in enumerate(sections):
        heading = section.heading
        if section.comment is None:
            warnings.append(f"“{heading.line}”之后没有点评，未生成单位")
            continue
        comment = "\n".join(section.comment).strip()
        if heading.unit == NO_UNIT:
            heading.unit = unit_from_comment(comment) or NO_UNIT
        split = split_comment(comment)
        if not split.found_marker and not split.problems:
            warnings.append(f"{heading.unit}：点评中没有找到“存在问题”一类的表述，未识别出问题")
        elif not split.problems:
            warnings.append(f"{heading.unit}：找到了问题表述，但没能分出具体问题")
        units.append(ParsedUnit(
            index=len(units) + 1,
            heading=heading.line,
            unit=heading.unit,
            unit_kind=unit_kind(heading.unit, heading.title),
            secretary=heading.name,
            secretary_title=heading.title,
            strengths=split.strengths,
            problems=[ParsedProblem(text, n) for n, text in enumerate(split.problems, start=1)],
            expectations=split.expectations,
            comment=comment,
            warnings=unit_warnings(heading.unit, split, heading.loose, number in loose_match, number in unlabelled),
            source_paragraphs=[{"index": i, "text": paragraphs[i]} for i in range(section.comment_at, section.end)],
        ))
    if not units:
        raise NotAReviewError(_not_a_review_message(text, paragraphs, len(sections)))
    closing_at = max([s.end for s in sections] + [block_end])
    orphans = orphan_comments(paragraphs, closing_at)
    closing = [p for i, p in enumerate(paragraphs[closing_at:], start=closing_at) if i not in orphans]
    overall = find_overall_problems(closing)
    title = find_title(paragraphs)
    unplaced = find_unplaced(paragraphs, sections, closing_at, orphans)
    if unplaced:
        warnings.append(f"有 {len(unplaced)} 个段落未能归属到任何单位，请在导入预览中核对")
    return ParsedReview(
        title=title,
        year=find_year(title, paragraphs),
        units=units,
        overall_problems=[ParsedProblem(text, n) for n, text in enumerate(overall, start=1)],
        warnings=warnings,
        unplaced=unplaced,
    )


def _not_a_review_message(text: str, paragraphs: list[str], headings: int) -> str:
    lines = text.splitlines()
    non_blank = [clean_line(line) for line in lines if clean_line(line)]
    comments = sum(1 for p in paragraphs if COMMENT_START_RE.match(p))
    if not non_blank:
        found = f"文件是空的（读取了 {len(lines)} 行、{len(text)} 个字符） (the document is empty)"
    else:
        first = non_blank[0] if len(non_blank[0]) <= 40 else non_blank[0][:40] + "…"
        found = (f"读取了 {len(lines)} 行（非空 {len(non_blank)} 行）、{len(text)} 个字符，"
                 f"匹配到 {headings} 个述职标题、{comments} 个“点评：”段落，首行是“{first}” "
                 f"(read {len(lines)} lines / {len(text)} characters, {headings} headings matched, "
                 f"{comments} comments found)")
    return f"没有找到述职评议内容，这似乎不是述职评议会议记录。{LOOKED_FOR}。实际情况：{found}。"
