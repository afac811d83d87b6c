"""Unit headings ("一、请XX镇党委书记XXX同志述职。") and the extent of each unit's 点评."""
import re
from dataclasses import dataclass

from .cues import is_label_line
from .loose import loose_heading, unit_line
from .patterns import (
    AGENDA_RE,
    CIRCLED,
    CN_NUMERAL,
    COMMENT_START_RE,
    DIGITS,
    SEPARATOR_RE,
    SPEAKER_RE,
    SPEECH_OPENER_RE,
    STRONG_EXPECTATION_RE,
    enumerator_at,
)
from .problems import find_marker

_ENUMERATOR = (rf"(?:{CN_NUMERAL}[、.．]|[（(]{CN_NUMERAL}[）)]|{DIGITS}[.．、]|[（(]{DIGITS}[）)]"
               rf"|{DIGITS}[)）]|第{CN_NUMERAL}[，,、]?|[{CIRCLED}])")
_LEAD_IN = r"(?:首先|其次|然后|接下来|下面|再次|最后|现在)[，,]?"
# The secretary's post: 党委书记, 党组书记, 党工委书记, 党总支书记 ...; "党委（党组）书记" too.
_TITLE = r"(?:党委[（(]党组[)）]|机关党委|党工委|党总支|党支部|党委|党组|总支部?|支部|工委)(?:副)?书记"
# Some headings add the administrative post: "党组书记、局长XX同志".
_POST = (r"(?:[、，,](?:局长|主任|镇长|乡长|主席|院长|部长|校长|站长|所长|社长|馆长|行长|经理|董事长|代?区长|苏木达|嘎查达"
         r"|[^\s，,。；;：:、（）()]{1,8}?(?:主任|长|主席|达|经理)))*")
_NAME = r"[^\s，,。；;：:、（）()]{1,12}?"

UNIT_HEADING_RE = re.compile(
    rf"^\s*(?P<enum>{_ENUMERATOR})?\s*(?:{_LEAD_IN}\s*)?(?:由|有请|请)?\s*"
    rf"(?P<unit>[^\s，,。；;：:、]+?)(?P<title>{_TITLE}){_POST}"
    rf"(?P<name>{_NAME})同志\s*(?:[（(](?P<role>[^）)]{{1,20}})[）)])?\s*(?:作|进行|来)?述职(?:报告|发言)?"
    rf"(?P<rest>.*)$"
)
# "第一个述职的是…同志。", "接下来述职的是…同志": the order of speakers announced, the same parts after it.
UNIT_ANNOUNCED_RE = re.compile(
    rf"^\s*(?P<enum>{_ENUMERATOR})?\s*(?:{_LEAD_IN}\s*)?(?:第{CN_NUMERAL}(?:个|位)|首先|接下来|下面)?\s*"
    rf"(?:作|进行)?述职(?:报告|发言)?的(?:是|为)\s*"
    rf"(?P<unit>[^\s，,。；;：:、]+?)(?P<title>{_TITLE}){_POST}"
    rf"(?P<name>{_NAME})同志\s*(?:[（(](?P<role>[^）)]{{1,20}})[）)])?"
    rf"(?P<rest>.*)$"
)
# What may follow "述职" on a heading line: nothing, a note in brackets, or the start of the comment.
_WELCOME = r"(?:[，,]?\s*(?:请|让我们)?(?:大家|全体)?(?:以热烈的)?(?:热烈)?(?:掌声)?欢迎[！!。]?)?"
_HEADING_REST_RE = re.compile(rf"^\s*[。.！!；;]?\s*(?:[（(][^）)]{{0,30}}[）)]\s*[。.]?)?{_WELCOME}\s*"
                              r"(?P<more>(?:[※＊*]|[【\[〔]?\s*点评).*)?$")


@dataclass
class Heading:
    line: str
    unit: str
    title: str
    name: str
    trailing: str  # text on the same line after the heading (a 点评 or ※※※), else ""
    loose: bool = False  # matched by loose_heading(), not by UNIT_HEADING_RE


def match_heading(line: str) -> Heading | None:
    match = UNIT_HEADING_RE.match(line) or UNIT_ANNOUNCED_RE.match(line)
    speaker = SPEAKER_RE.match(line)
    if not match and speaker:  # "主持人：下面请青山街道党工委书记李华同志述职。"
        match = UNIT_HEADING_RE.match(line[speaker.end():]) or UNIT_ANNOUNCED_RE.match(line[speaker.end():])
    if not match:
        return None
    rest = _HEADING_REST_RE.match(match.group("rest"))
    if not rest:
        return None
    trailing = rest.group("more") or ""
    heading_line = line[: len(line) - len(trailing)].strip() if trailing else line.strip()
    unit, title = match.group("unit").strip("“”\"'《》"), match.group("title")
    if unit.endswith("机关") and title.startswith("工委"):  # 县直机关工委书记: the unit is the 工委
        unit += "工委"
    return Heading(heading_line, unit, title, match.group("name"), trailing.strip())


def is_heading(line: str) -> bool:
    return match_heading(line) is not None


def unit_kind(unit: str, title: str = "") -> str:
    name = unit.strip()
    if name.endswith("镇"):
        return "镇"
    if name.endswith(("乡", "苏木")):  # 苏木 is the township of Inner Mongolia
        return "乡"
    if name.endswith("街道") or (title.startswith("党工委") and re.search(r"开发区|园区|新区|管委会$", name)):
        return "街道"
    if name.startswith(("县", "市")) or name.endswith(("局", "委", "办", "部", "院", "中心", "办公室")):
        return "县直部门"
    return "其他"


@dataclass
class Section:
    heading: Heading
    report: list[str]          # paragraphs between the heading and the 点评 (the 述职 itself or ※※※)
    comment: list[str] | None  # the 点评 paragraphs, "点评：" removed; None when there is none
    end: int                   # index of the first paragraph after this section's comment
    start: int = 0             # index of the heading
    comment_at: int | None = None  # index of the paragraph where the 点评 starts


def split_heading_lines(paragraphs: list[str]) -> list[str]:
    """A heading and its 点评 on one line become two paragraphs."""
    result = []
    for paragraph in paragraphs:
        heading = match_heading(paragraph)
        if heading and heading.trailing:
            result.extend([heading.line, heading.trailing])
        else:
            result.append(paragraph)
    return result


def find_sections(paragraphs: list[str]) -> list[Section]:
    headings = {}
    for index, paragraph in enumerate(paragraphs):
        heading = match_heading(paragraph) or _structural_loose(paragraphs, index)
        if heading is not None:
            headings[index] = heading
    starts = sorted(headings)
    sections = []
    for number, start in enumerate(starts):
        limit = starts[number + 1] if number + 1 < len(starts) else len(paragraphs)
        heading = headings[start]
        comment_at = next((i for i in range(start + 1, limit) if COMMENT_START_RE.match(paragraphs[i])), None)
        if comment_at is None:  # a verbatim record: "区委书记：青山街道…" is the 点评
            comment_at = next((i for i in range(start + 1, limit) if _commenting_speaker(paragraphs[i])), None)
        if comment_at is None:
            sections.append(Section(heading, paragraphs[start + 1:limit], None, start + 1, start))
            continue
        end = _comment_end(paragraphs, comment_at, limit)
        first = COMMENT_START_RE.sub("", paragraphs[comment_at], count=1)
        if first == paragraphs[comment_at] and _commenting_speaker(first):
            first = first[SPEAKER_RE.match(first).end():]
        comment = [first] + paragraphs[comment_at + 1:end] if first else paragraphs[comment_at + 1:end]
        sections.append(Section(heading, paragraphs[start + 1:comment_at], comment, end, start, comment_at))
    return sections


def _commenting_speaker(paragraph: str) -> bool:
    speaker = SPEAKER_RE.match(paragraph)
    return speaker is not None and not speaker.group("who").startswith("主持") and len(paragraph) > speaker.end() + 10


def _structural_loose(paragraphs: list[str], index: int) -> Heading | None:
    """A loose heading counts only where a heading stands: before ※※※ or a 点评."""
    paragraph = paragraphs[index]
    following = paragraphs[index + 1:index + 3]
    if following and COMMENT_START_RE.match(following[0]) and re.search(r"同志[）)]?[。：:]?$", paragraph):
        # "一、石桥镇党委书记陈晓梅同志" then "点评：": a compiled set of 点评 names no 述职
        named = match_heading(paragraph.rstrip("。：:") + "述职")
        if named is not None:
            named.line = paragraph
            return named
    named = unit_line(paragraph)  # "1.青山镇（党委书记李华）" or "【青山镇】" then "点评：" or "青山镇…"
    if named is not None and following and (COMMENT_START_RE.match(following[0]) or (
            following[0].startswith(named[1][:max(2, len(named[1]) - 2)]) and len(following[0]) > 30)):
        return Heading(*named, trailing="", loose=True)
    found = loose_heading(paragraph)
    if found is None:
        return None
    heading = Heading(*found, trailing="", loose=True)
    if any(SEPARATOR_RE.match(p) or COMMENT_START_RE.match(p) for p in following):
        return heading
    return None


def _comment_end(paragraphs: list[str], comment_at: int, limit: int) -> int:
    """The comment runs on until the meeting moves on: a separator, an agenda line, a speech heading."""
    index = comment_at + 1
    reached_problems = _reaches_problems(paragraphs[comment_at])
    while index < limit:
        paragraph, previous = paragraphs[index], paragraphs[index - 1]
        listed = enumerator_at(paragraph, 0) is not None
        if SEPARATOR_RE.match(paragraph) or COMMENT_START_RE.match(paragraph) or SPEAKER_RE.match(paragraph):
            break
        if not listed and (AGENDA_RE.match(paragraph) or (reached_problems and SPEECH_OPENER_RE.match(paragraph))):
            break
        if _is_speech_heading(paragraph) and not _in_list(previous, paragraph) and not is_label_line(paragraph):
            break
        reached_problems = reached_problems or _reaches_problems(paragraph)
        index += 1
    return index


def _reaches_problems(paragraph: str) -> bool:
    return bool(STRONG_EXPECTATION_RE.match(paragraph)) or find_marker(paragraph) is not None


def _is_speech_heading(paragraph: str) -> bool:
    found = enumerator_at(paragraph, 0)
    return found is not None and found.style in ("一、", "（一）")


def _in_list(previous: str, paragraph: str = "") -> bool:
    if re.search(r"[：:，,、]\s*$", previous) or enumerator_at(previous, 0) is not None or is_label_line(previous):
        return True
    found = enumerator_at(paragraph, 0)  # "…：（一）A。" wrapped before "（二）B。" is the same list
    if found is None or found.number < 2:
        return False
    return any(enumerator_at(previous, i, found.style) and enumerator_at(previous, i, found.style).number
               == found.number - 1 for i in range(len(previous)))
