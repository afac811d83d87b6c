"""Text to paragraphs: strip indentation, drop page numbers, rejoin hard-wrapped lines.

Text copied from a PDF breaks a paragraph into lines at arbitrary points. A line continues the
previous one unless it starts something new (a heading, 点评, 希望, an enumerator, ※※※) or the
previous line ended a sentence. A break right after a full stop therefore stays a paragraph
break; the parts of a comment are rebuilt without newlines later, so that does no harm.
"""
import re

from .cues import is_label_line
from .loose import loose_heading, unit_line
from .patterns import (
    COMMENT_START_RE,
    OPENERS,
    SEPARATOR_RE,
    ends_sentence,
    enumerator_at,
    is_boundary,
)

# The characters str.strip() leaves but that never carry meaning at a line's ends.
_EDGE_JUNK = "\ufeff\u200b\u200c\u200d\u2060"
# Decorated only: a bare "12" may be the end of a wrapped number, not a page number.
_PAGE_NUMBER_RE = re.compile(r"^(?:[-—－–]\s*\d{1,3}\s*[-—－–]|第\s*\d{1,3}\s*页(?:\s*[，,/]?\s*共\s*\d{1,3}\s*页)?)$")
_STARTS_PARAGRAPH_RE = re.compile(r"^(?:希望|殷切希望|同志们[：:，,！!]|(?:时间|地点|主持人?|出席|列席|参会人员|记录人?|缺席)[：:]|[【〔][^】〕]{2,10}[】〕]|[（(][^）)]{4,20}[）)]$)")


def clean_line(line: str) -> str:
    return line.strip().strip(_EDGE_JUNK).strip()


def starts_paragraph(line: str, is_heading) -> bool:
    return bool(
        SEPARATOR_RE.match(line)
        or COMMENT_START_RE.match(line)
        or _STARTS_PARAGRAPH_RE.match(line)
        or enumerator_at(line, 0)
        or is_heading(line)
    )


def to_paragraphs(text: str, is_heading) -> list[str]:
    """Non-empty paragraphs; is_heading(line) tells a complete unit heading (never continued)."""
    paragraphs: list[str] = []
    lines = [clean_line(raw) for raw in text.split("\n")]
    # A blank line closes the paragraph before it, unless the text is double-spaced throughout
    # (a blank after nearly every line), where blank lines say nothing.
    blanks_close = sum(1 for line in lines if not line) < 0.8 * sum(1 for line in lines if line)
    open_paragraph = False
    # A line of nearly the full width was cut by wrapping; only such a line may run on into one that
    # happens to start with an enumerator.
    lengths = sorted(len(line) for line in lines if line)
    full = 0.8 * lengths[int(0.9 * (len(lengths) - 1))] if lengths else 0
    previous_line = ""
    for line in lines:
        if not line:
            open_paragraph = open_paragraph and not blanks_close
            continue
        if _PAGE_NUMBER_RE.match(line):
            continue
        if open_paragraph and (_continues(paragraphs[-1], line, is_heading) or _heading_wrapped(paragraphs[-1], line, is_heading)
                               or (len(previous_line) >= full and _wrapped_enumerator(paragraphs[-1], line, is_heading))):
            paragraphs[-1] += line
        else:
            paragraphs.append(line)
        open_paragraph = True
        previous_line = line
    return paragraphs


def _continues(previous: str, line: str, is_heading) -> bool:
    if previous[-1] in OPENERS:  # "（" never ends a paragraph, even before "2）…"
        return True
    if is_label_line(previous):
        return False
    named = unit_line(previous) if len(previous) <= 30 else None
    if named is not None and line.startswith(named[1][:max(2, len(named[1]) - 2)]):
        return False  # "一、青山镇" then "青山镇党委坚持…": a unit's name over its 点评
    if ends_sentence(previous) or SEPARATOR_RE.match(previous) or is_heading(previous) \
            or COMMENT_START_RE.fullmatch(previous):  # a bare "点评" label line
        return False
    return not starts_paragraph(line, is_heading)


_HEADING_START_RE = re.compile(r"^(?:[（(]?[一二三四五六七八九十0-9０-９]+[）)、.．]|第[一二三四五六七八九十]+[，,]|首先|其次|"
                               r"下面|接下来|然后|最后|现在|请|有请|由)")


def _heading_wrapped(previous: str, line: str, is_heading) -> bool:
    """"三、下面请高新技术产业开发" + "区党工委书记郑凯同志述职": the rest of a heading reads as a heading too."""
    return (len(previous) <= 40 and not ends_sentence(previous) and _HEADING_START_RE.match(previous) is not None
            and not _HEADING_START_RE.match(line) and not is_label_line(previous)
            and not is_heading(previous) and is_heading(line) and is_heading(previous + line))


def _wrapped_enumerator(previous: str, line: str, is_heading) -> bool:
    """"…二是B项工作" + "（二）期间出现反复": a wrap that happens to start with an enumerator, not item 2
    of a list (its item 1 would be in the paragraph before) nor a heading."""
    if ends_sentence(previous) or SEPARATOR_RE.match(previous) or is_heading(previous) or is_label_line(previous):
        return False
    found = enumerator_at(line, 0)
    if found is None or found.number < 2 or is_heading(line) or is_label_line(line) or loose_heading(line):
        return False
    return not any((item := enumerator_at(previous, i, found.style)) and item.number == found.number - 1
                   for i in range(len(previous)) if is_boundary(previous, i))
