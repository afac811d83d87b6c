"""Where sections and paragraphs stand beyond the simple "heading, ※※※, 点评" layout: the 点评 block of
layout (b), 点评 without a label, and the paragraphs no section took."""
import re

from .block import split_block
from .cues import SHORTFALL_RE
from .patterns import AGENDA_RE, COMMENT_START_RE, SEPARATOR_RE
from .sections import _comment_end

_BLOCK_INTRO_RE = re.compile(r"^[^。]{0,20}(?:逐一|逐个|分别|依次|集中)(?:作|进行|作了|进行了)?点评[^。]{0,10}[。：:]?$")


def apply_block(paragraphs: list[str], sections) -> tuple[set[int], int]:
    """Layout (b): give each section its chunk of the 点评 block. Returns the numbers of sections matched
    loosely and where the block ends (chunks of units that did not report are left unplaced)."""
    chunks = split_block(paragraphs, sections)
    if not chunks:
        return set(), 0
    block_start = min(chunk.start for chunk in chunks)
    for section in sections:
        if section.comment_at is not None and section.comment_at >= block_start - 1:
            section.comment, section.comment_at, section.end = None, None, section.start + 1
    for chunk in chunks:
        if chunk.section is None:
            continue
        section = sections[chunk.section]
        section.comment = ([chunk.first] if chunk.first else []) + paragraphs[chunk.start + 1:chunk.end]
        section.comment_at, section.end = chunk.start, chunk.end
    return {c.section for c in chunks if c.loose and c.section is not None}, max(c.end for c in chunks)


def take_unlabelled(paragraphs: list[str], sections) -> set[int]:
    """A section with no "点评：" whose text after its ※※※ reads as a 点评 takes that text as one."""
    guessed = set()
    for number, section in enumerate(sections):
        if section.comment is not None:
            continue
        first, limit = section.start + 1, section.start + 1 + len(section.report)
        separators = [i for i in range(first, limit) if SEPARATOR_RE.match(paragraphs[i])]
        at = next((i for i in ([s + 1 for s in separators] or [first]) if _reads_as_comment(
            paragraphs, i, limit, section.heading.unit, bool(separators))), None)
        if at is None:
            continue
        end = _comment_end(paragraphs, at, limit)
        section.comment, section.comment_at, section.end = paragraphs[at:end], at, end
        guessed.add(number)
    return guessed


def _reads_as_comment(paragraphs: list[str], at: int, limit: int, unit: str, after_separator: bool) -> bool:
    if at >= limit or AGENDA_RE.match(paragraphs[at]) or SEPARATOR_RE.match(paragraphs[at]):
        return False
    if paragraphs[at].startswith(unit[:max(2, len(unit) - 2)]):  # "青山镇…": about the unit, not "我镇…"
        return True
    region = "".join(paragraphs[at:_comment_end(paragraphs, at, limit)])
    return after_separator and SHORTFALL_RE.search(region) is not None


def orphan_comments(paragraphs: list[str], closing_at: int) -> set[int]:
    """Paragraphs of a 点评 in the closing part that no heading led to: not overall problems, unplaced."""
    orphans: set[int] = set()
    for index in range(closing_at, len(paragraphs)):
        if index not in orphans and COMMENT_START_RE.match(paragraphs[index]):
            orphans.update(range(index, _comment_end(paragraphs, index, len(paragraphs))))
    return orphans


def find_unplaced(paragraphs: list[str], sections, closing_at: int, orphans: set[int] = frozenset()) -> list[dict]:
    """Paragraphs between the first heading and the closing part that no section took, and any 点评
    outside the sections (orphans); separators and running-order lines are not reported."""
    placed: set[int] = set()
    for section in sections:
        placed.update(range(section.start, section.comment_at if section.comment_at is not None else section.end))
        if section.comment_at is not None:
            placed.update(range(section.comment_at, section.end))
    first = min(s.start for s in sections)
    unplaced = []
    for index, paragraph in enumerate(paragraphs):
        inside = first <= index < closing_at
        if index in placed or not (inside or index in orphans or COMMENT_START_RE.match(paragraph)):
            continue
        if SEPARATOR_RE.match(paragraph) or AGENDA_RE.match(paragraph) or _BLOCK_INTRO_RE.search(paragraph):
            continue
        unplaced.append({"index": index, "text": paragraph})
    return unplaced
