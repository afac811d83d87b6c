"""A 点评 split into strengths, problems and expectations.

In order of trust: labelled parts (【存在问题】, "二、问题", a table's label cell; cues.find_labels); a
known marker phrase ("但还存在以下问题：", "存在的主要问题是" …); a turn found from cues ("不足之处：",
"但一些问题不容忽视：", "然而…不够…"; turns.py); with none of these, a numbered list whose items read as
shortfalls (turns.infer_list). The problems are an enumerated list (一是/1./（1）/第一，/首先是 …), one
paragraph each, sentences separated by ；/。, or the single clause of "但也存在……的问题". Whatever follows
the last problem is the expectations, so a numbered list of requirements or causes after the problems
("希望…：一是…", "究其原因，一是…") is never counted: numbering restarts there. SplitComment.how and
by_sentence say how sure the split is (confidence.py turns them into warnings).
"""
import re
from dataclasses import dataclass

from .cues import SHORTFALL_RE, find_labels, negative
from .patterns import (
    CLOSERS,
    FULL_STOP,
    STRONG_EXPECTATION_RE,
    WEAK_EXPECTATION_RE,
    Enumerator,
    enumerator_at,
    sentence_end,
)
from .lists import _TRAILING_SEPARATORS, _expectation_start, _item_text, flatten, read_enumerated
from .turns import cue_markers, generic_turn, infer_list

_CONNECTOR = r"(?P<conn>(?:但是?|不过|然而|只是|同时|当然)[，,]?(?:[^。；;！!？?\n]{0,20}?)?)"
_ADVERB = r"(?:也还|也|还|仍然|仍|依然|尚)"
_INTRO = (r"(?:着)?(?:以下|如下|下列|一些|一定的?|不少|诸多|个别|的)?"
          r"(?:几个|几点|[一二两三四五六七八九十]+个|[一二两三四五六七八九十]+点)?(?:方面的?)?(?:主要|突出|明显)?")
_NOUN = r"(?:问题和不足|问题与不足|不足和问题|不足与问题|差距和不足|问题和差距|不足之处|薄弱环节|短板和不足|问题|不足|短板|差距)"
_COMPOUND_NOUN = r"(?:问题和不足|问题与不足|不足和问题|不足与问题|差距和不足|问题和差距|不足之处|短板和不足)"
_IS = r"(?:是|在于|表现在|表现为|体现在|集中在|有(?=[：:]))"
# "但还有以下问题需要整改："
_PENDING = r"(?:需要|亟需|亟待|有待|必须)(?:认真|及时|切实)?(?:整改|解决|改进|重视|注意|加以解决)"
# What may follow a marker: punctuation, the first enumerator, or words that introduce the list.
_AFTER_MARKER = r"(?=[：:，,。；;.\s]|[一二三四五六七八九十]是|[0-9０-９（(第其①]|主要|具体|即|表现|体现|如下|$)"

LIST_MARKER_RE = re.compile(
    rf"{_CONNECTOR}?(?:"
    rf"(?:{_ADVERB}?存在|{_ADVERB}有){_INTRO}{_NOUN}(?:{_PENDING})?(?:主要)?(?:{_IS}|{_AFTER_MARKER})"
    rf"|(?:存在的|主要|突出)(?:主要|突出)?{_NOUN}(?:主要)?(?:{_IS}|{_AFTER_MARKER})"
    rf"|{_COMPOUND_NOUN}(?:主要)?{_IS}"
    rf")"
)
# "但也存在……的问题": the whole clause is the one problem. Bounded lengths keep the search linear.
CLAUSE_MARKER_RE = re.compile(
    rf"(?:但是?|不过|然而)[，,]?(?P<clause>(?:(?P<lead>{_ADVERB}?存在)|[^。；;！!？?\n]{{0,40}}?存在)[^。；;！!？?\n]{{0,150}}?"
    rf"(?:的|等)?(?:问题|不足|短板|现象|差距))(?=[。；;！!？?，,.\n]|$)"
)
_FILLER_RE = re.compile(r"(?:[\s：:，,。；;.]|主要(?:是|有|表现在|体现在|表现为)?|具体(?:是|表现为|表现在)?|即|如下"
                        r"|(?:集中|突出)?(?:表现在|表现为|体现在)"
                        r"|(?:以下|如下)?(?:[0-9０-９一二两三四五六七八九十几]+(?:个|点|条))?方面(?:的)?(?:问题|不足)?"
                        r"|[0-9０-９一二两三四五六七八九十几]+(?:个|点|条)(?:问题|不足)?)*")
_EXAMPLE_RE = re.compile(r"^(?:再比如|比如|例如|譬如|再如|一个是|另一个是|还有就是)[，,：:]?")


@dataclass
class SplitComment:
    strengths: str
    problems: list[str]
    expectations: str
    found_marker: bool
    how: str = "marker"  # marker | cue | label | clause (a contrast sentence) | inferred (a list) | none
    by_sentence: bool = False  # the problems were not numbered nor one paragraph each: split at 。/；


@dataclass
class Marker:
    start: int
    end: int
    clause: str | None = None  # set for "但也存在……的问题"
    cue: str | None = None     # None: a known phrase; "turn" / "guess": found from cues, sure or not;
    #                            "clause": a contrast sentence


def find_marker(text: str, require_list: bool = False) -> Marker | None:
    """The problem marker: the first one that is clearly a marker, else the first at all."""
    candidates = []
    for match in LIST_MARKER_RE.finditer(text):
        follows = _FILLER_RE.match(text, match.end()).end()
        first = enumerator_at(text, follows)
        listed = first is not None and first.number == 1
        colon = match.end() < len(text) and text[match.end()] in "：:"
        strong = bool(match.group("conn")) or listed or colon
        if require_list and not listed:
            continue
        candidates.append((strong, Marker(match.start(), match.end())))
    if not require_list:
        for match in CLAUSE_MARKER_RE.finditer(text):
            clause = match.group("clause")
            if re.search(r"[：:]", clause) or generic_turn(clause):  # a lead-in, not a clause naming one
                continue
            if match.group("lead"):
                clause = clause[len(match.group("lead")):]
            candidates.append((True, Marker(match.start(), match.end(), clause)))
    strong = sorted((m for s, m in candidates if s), key=lambda m: (m.start, m.clause is not None))
    if strong:
        return strong[0]
    # A turn found from cues (a contrast, or a lead into a list) beats a bare phrase such as "存在的突出问题"
    # that may well sit in the strengths ("着力解决存在的突出问题，…").
    weak = [m for _, m in candidates]
    for turn in cue_markers(text):
        follows = _FILLER_RE.match(text, turn.end).end()
        first = enumerator_at(text, follows)
        if require_list and (turn.clause or first is None or first.number != 1):
            continue
        if not turn.clause:
            return Marker(turn.start, turn.end, cue="turn" if turn.sure else "guess")
        weak.append(Marker(turn.start, turn.end, cue="clause"))
        break
    return min(weak, key=lambda m: (m.start, m.cue is not None), default=None)


def colon_markers(text: str) -> list[Marker]:
    """Markers that end in a colon ("还存在一些共性问题："), known phrases and cue turns, in order."""
    found = [Marker(m.start(), m.end()) for m in LIST_MARKER_RE.finditer(text)
             if m.end() < len(text) and text[m.end()] in "：:"]
    found += [Marker(t.start, t.end, cue="turn") for t in cue_markers(text)
              if not t.clause and text[t.end - 1] in "：:"]
    return sorted(found, key=lambda m: m.start)


def split_comment(comment: str) -> SplitComment:
    labelled = split_labelled(comment)
    if labelled is not None:
        return labelled
    marker = find_marker(comment)
    if marker is None:
        first = infer_list(comment)
        if first is not None:
            items, end = read_enumerated(comment, first)
            return SplitComment(flatten(comment[:first.start]).rstrip(_TRAILING_SEPARATORS), items,
                                _expectations(comment, end), False, "inferred")
        cut = 0 if STRONG_EXPECTATION_RE.match(comment) else _expectation_start(comment, 0)
        return SplitComment(flatten(comment[:cut]), [], _expectations(comment, cut), False, "none")
    strengths = flatten(comment[:marker.start]).rstrip(_TRAILING_SEPARATORS)
    items, end = read_problems(comment, marker)
    end = _read_additions(comment, end, items) if items else end
    how = {None: "marker", "turn": "marker", "guess": "cue", "clause": "clause"}[marker.cue]
    by_sentence = marker.clause is None and _by_sentence(comment, marker.end, end)
    return SplitComment(strengths, items, _expectations(comment, end), True, how, by_sentence and len(items) > 1)


_ADDITION_RE = re.compile(r"[\s。；;]*(?:此外|另外|再者|还有|同时)[，,]?")


def _read_additions(text: str, end: int, items: list[str]) -> int:
    """"…三是C。此外，D问题也较突出。": a negative sentence added after the list is one more problem."""
    while (match := _ADDITION_RE.match(text, end)) is not None:
        second = _second_list(text, match.end())
        if second is not None:  # "同时，在宣传方面还有不足：一是…二是…": another list of problems
            more, end = read_enumerated(text, second)
            items.extend(more)
            continue
        stop = sentence_end(text, match.end())
        sentence = text[match.end():stop]
        if not negative(sentence) or STRONG_EXPECTATION_RE.match(sentence) or WEAK_EXPECTATION_RE.match(sentence) \
                or re.search(r"要|应|希望|加强|进一步|切实|着力", sentence):
            break
        items.append(_item_text(sentence))
        end = stop
    return end


def _second_list(text: str, start: int) -> Enumerator | None:
    lead = re.match(r"[^。！!？?；;\n]{0,40}?[：:]\s*", text[start:])
    if lead is None or not SHORTFALL_RE.search(lead.group(0)) or STRONG_EXPECTATION_RE.match(text, start):
        return None
    first = enumerator_at(text, start + lead.end())
    return first if first is not None and first.number == 1 else None


def _by_sentence(text: str, start: int, end: int) -> bool:
    start = _FILLER_RE.match(text, start).end()
    lines = text[start:end].strip("\n").split("\n")
    per_paragraph = len(lines) > 1 and not any(line.rstrip()[-1:] in "；;，,、" for line in lines[:-1])
    return enumerator_at(text, start) is None and not per_paragraph


def split_labelled(comment: str) -> SplitComment | None:
    """【工作亮点】…【存在问题】…【努力方向】…, "一、成绩 二、问题 三、要求", label cells of a table."""
    labels = find_labels(comment)
    if not labels:
        return None
    strengths, problems, expectations, by_sentence = [], [], [], False
    if labels[0][0] > 0:
        strengths.append(comment[:labels[0][0]])
    for number, (_, end, kind, _) in enumerate(labels):
        stop = labels[number + 1][0] if number + 1 < len(labels) else len(comment)
        part = comment[end:stop]
        if kind == "problems":
            items, used = read_items(part)
            problems.extend(items)
            by_sentence = by_sentence or (len(items) > 1 and _by_sentence(part, 0, used))
            if used < len(part):
                expectations.append(part[used:])
        elif kind == "strengths":
            strengths.append(part)
        elif kind == "expectations" or problems:
            expectations.append(part)
        else:
            strengths.append(part)
    return SplitComment(flatten("".join(strengths)).rstrip(_TRAILING_SEPARATORS), problems,
                        _expectations("\n".join(expectations), 0), True, "label", by_sentence)


def read_items(part: str) -> tuple[list[str], int]:
    """The problems of a labelled part: a numbered list, one per paragraph, or sentences."""
    start = _FILLER_RE.match(part, 0).end()
    if re.match(r"(?:无|暂无|没有|无明显问题)[。.；;]?\s*(?:\n|$)", part[start:]):
        return [], len(part)
    first = enumerator_at(part, start)
    if first is not None and first.number == 1:
        items, end = read_enumerated(part, first)
        return items, _read_additions(part, end, items)
    return _read_unnumbered(part, start)


def read_problems(text: str, marker: Marker) -> tuple[list[str], int]:
    start = _FILLER_RE.match(text, marker.end).end()
    first = enumerator_at(text, start)
    if first is not None and first.number == 1:
        return read_enumerated(text, first)
    if marker.clause is not None:
        return [_item_text(marker.clause + _kept_stop(text, marker.end))], marker.end
    return _read_unnumbered(text, start)


def _read_unnumbered(text: str, start: int) -> tuple[list[str], int]:
    """Paragraphs (when the problems are one paragraph each), else sentences or pieces separated by ；,
    up to where the expectations begin."""
    if STRONG_EXPECTATION_RE.match(text, start):  # "但还存在一些问题。希望…": nothing was named
        return [], start
    end = _expectation_start(text, start, weak=WEAK_EXPECTATION_RE)
    region = text[start:end].strip("\n")
    lines = region.split("\n")
    if len(lines) > 1 and not any(line.rstrip()[-1:] in "；;，,、" for line in lines[:-1]):
        pieces = lines  # one problem per paragraph (a break after "；" is a wrap, not a paragraph)
    else:
        pieces = re.findall(r"[^；;。！!？?\n]+(?:[。！!？?][" + re.escape(CLOSERS) + r"]*)?", text[start:end])
    items = []
    for piece in pieces:
        item = _EXAMPLE_RE.sub("", _item_text(piece), count=1)
        if item.strip(FULL_STOP + CLOSERS):
            items.append(item)
    return items, end


def _kept_stop(text: str, end: int) -> str:
    return text[end] if end < len(text) and text[end] in "。！!？?" else ""


def _expectations(comment: str, start: int) -> str:
    return flatten(comment[start:]).lstrip("。！!？?；;，,、：: \t\u3000")
