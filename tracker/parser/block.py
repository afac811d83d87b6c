"""Layout (b): every 点评 in one block after all the reports, each led by its unit's name or number
("下面逐一点评。1.县教育局。…", "对青山镇：…"), matched back to the units called to report."""
import re
from dataclasses import dataclass

from .loose import UNIT_SUFFIX
from .patterns import COMMENT_START_RE, enumerator_at
from .sections import Section, _comment_end

_INTRO_RE = re.compile(r"(?:逐一|逐个|分别|依次|集中|统一|一并)(?:作|进行|作了|进行了|作个|作一)?(?:简要|简短)?的?点评|点评如下|点评意见如下")
_LEAD_RE = re.compile(r"^\s*(?:对|关于|针对)?\s*(?P<name>[^，,。：:；;、\s（）()]{2,24}?)"
                      r"(?:的)?(?:点评意见|点评)?\s*(?P<stop>[。.：:，,])")


@dataclass
class Chunk:
    section: int | None  # index into sections; None: a unit that did not report (left unplaced)
    start: int          # paragraph index of the lead
    end: int
    first: str          # the lead paragraph with the unit's name removed
    loose: bool         # matched by number or by a partial name


def split_block(paragraphs: list[str], sections: list[Section]) -> list[Chunk]:
    """Chunks of a trailing 点评 block, one per unit it names; empty when the layout is not (b)."""
    pending = [n for n, s in enumerate(sections) if s.comment is None or n == len(sections) - 1]
    if len(pending) < 2 or sum(1 for s in sections if s.comment is None) < len(sections) // 2:
        return []
    last = sections[-1]
    intro = next((i for i in range(last.start + 1, len(paragraphs))
                  if _INTRO_RE.search(paragraphs[i]) or COMMENT_START_RE.match(paragraphs[i])), None)
    if intro is None:
        return []
    leads = []  # (paragraph index, section number, text after the lead, loose)
    taken: set[int] = set()
    for index in range(intro, len(paragraphs)):
        text = paragraphs[index]
        if index == intro:
            text = _after_intro(text)
            if not text:
                continue
        found = _match_lead(text, sections, pending, taken, len(leads))
        if found is not None:
            number, rest, loose = found
            taken.add(number)
            leads.append((index, number, rest, loose))
        elif leads and _foreign_lead(text):
            leads.append((index, None, text, False))  # a unit that was not called to report
    if sum(1 for lead in leads if lead[1] is not None) < 2:
        return []
    chunks = []
    for position, (index, number, rest, loose) in enumerate(leads):
        limit = leads[position + 1][0] if position + 1 < len(leads) else len(paragraphs)
        end = limit if position + 1 < len(leads) else _comment_end(paragraphs, index, limit)
        chunks.append(Chunk(number, index, end, rest, loose))
    return chunks


def _foreign_lead(text: str) -> bool:
    """"对红旗村：…" in the block when no 红旗村 reported: it starts a 点评 the reader cannot place."""
    enum = enumerator_at(text, 0)
    body = text[enum.end:].lstrip() if enum else text
    match = _LEAD_RE.match(body)
    return bool(match) and match.group("stop") in "。.：:" and len(match.group("name")) <= 14 \
        and re.search(rf"{UNIT_SUFFIX}$", match.group("name")) is not None


def _after_intro(text: str) -> str:
    text = COMMENT_START_RE.sub("", text, count=1)
    match = _INTRO_RE.search(text)
    if match:
        cut = re.match(r"[^。：:！!]*[。：:！!]?", text[match.end():])
        text = text[match.end() + cut.end():]
    return text.strip()


def _match_lead(text: str, sections, pending, taken, seen: int):
    """(section number, the paragraph without its lead, loose) when text opens with a pending unit."""
    enum = enumerator_at(text, 0)
    body = text[enum.end:].lstrip() if enum else text
    body = COMMENT_START_RE.sub("", body, count=1)
    free = [n for n in pending if n not in taken]
    match = _LEAD_RE.match(body)
    if match:
        name = match.group("name")
        for n in free:
            if sections[n].heading.unit == name:
                return n, body[match.end():].lstrip(), False
        for n in free:  # "李华同志：" names the secretary
            person = sections[n].heading.name
            if person and name in (person, person + "同志", person + "书记"):
                return n, body[match.end():].lstrip(), False
        for n in free:  # "教育局：", "青山：": part of the unit's name
            unit = sections[n].heading.unit
            if len(unit) >= 2 and len(name) >= 2 and (name.endswith(unit) or unit.endswith(name)
                                                       or unit.startswith(name)):
                return n, body[match.end():].lstrip(), True
    for n in free:  # "县教育局党建工作扎实，…": the name opens the first sentence
        unit = sections[n].heading.unit
        if body.startswith((unit, "对" + unit)):
            return n, body.removeprefix("对"), False
    if enum is not None and match and 1 <= enum.number <= len(pending) and pending[enum.number - 1] in free \
            and enum.number == seen + 1 and match.group("stop") in "。.：:" \
            and re.search(rf"{UNIT_SUFFIX}$", match.group("name")) and len(match.group("name")) <= 14:
        return pending[enum.number - 1], body[match.end():].lstrip(), True
    return None
