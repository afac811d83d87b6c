"""Turns found from cues (see cues.py) where no known marker phrase matched.

cue_markers: a clause with a shortfall word that opens with a contrast or leads into a list or colon.
infer_list: with no turn at all, a numbered list whose items read as shortfalls.
"""
import re
from dataclasses import dataclass

from .cues import CONTRAST_RE, NEGATIVE_RE, SHORTFALL_RE, names_not_problems, negative
from .lists import read_enumerated
from .patterns import STRONG_EXPECTATION_RE, enumerator_at, is_boundary

_SENTENCE_BREAK = "。！!？?；;\n"
_AFTER_NOUN = "".join(f"(?<={noun})" if not i else f"|(?<={noun})" for i, noun in enumerate(
    ("问题", "不足", "差距", "短板", "弱项", "环节", "之处", "方面", "欠缺",
     # "需要改进的是，…", "有待加强的是…": the thing to improve is named next
     "改进的", "加强的", "提高的", "提升的", "完善的")))
_LEAD_END_RE = re.compile(rf"[：:]|(?:{_AFTER_NOUN})(?:主要|集中|具体)?(?:是|在于|表现在|表现为|体现在|集中在)(?=[：:，,]?\s*\S)")
# What a generic turn is made of besides its shortfall word: "但也还有一些方面的差距".
_GENERIC_RE = re.compile(r"^(?:[，,、\s]|但是?|同时|然而|不过|只是|也要看到|也应看到|还要看到|清醒地|看到|我们|也|还|仍然|仍|依然|尚|"
                         r"存在|有|着|以下|如下|下列|一些|一定的?|不少|诸多|个别|几个|几点|[0-9０-９一二两三四五六七八九十]+个?|"
                         r"方面的?|的|主要|突出|明显|共性|普遍性?|值得注意|需要|必须|引起|重视|注意|改进|提升|加强|之处|"
                         r"环节|地方|方面|之处|和|与|及|是|在于|表现在|表现为|体现在|不容忽视|问题|不足|差距|短板|弱项|薄弱|欠缺|有待)+$")


_SURE_NOUN_RE = re.compile(r"问题|不足|差距|短板|弱项|薄弱|欠缺|不容忽视|瑕疵|症结|短处")


@dataclass
class CueTurn:
    start: int     # where the strengths end
    end: int       # where the first problem begins
    clause: bool   # True: the sentence itself names the problem (no list follows)
    sure: bool = False  # a noun of shortfall ("不足之处：", "存在的短板：") leads straight into the list


def cue_markers(text: str) -> list[CueTurn]:
    turns = []
    position = 0
    while position < len(text):
        end = position
        while end < len(text) and text[end] not in _SENTENCE_BREAK:
            end += 1
        turn = _turn_in_sentence(text, position, end)
        if turn is not None:
            turns.append(turn)
        position = end + 1
    return turns


def _turn_in_sentence(text: str, start: int, end: int) -> CueTurn | None:
    sentence = text[start:end]
    lead_end = _lead_end(text, start, end)
    lead = text[start:lead_end] if lead_end is not None else sentence
    match = None
    for match in SHORTFALL_RE.finditer(lead):
        pass
    if match is None and lead_end is None:  # "同时也要看到，…推动不力": a contrast and a negative judgement
        match = NEGATIVE_RE.search(lead)
    if match is None:
        return None
    # The turn starts at the contrast before the shortfall word, else at that word's clause.
    clause_start = start + max(lead.rfind("，", 0, match.start()), lead.rfind(",", 0, match.start())) + 1
    contrast = None
    for index in range(start, start + match.start()):
        if (index == start or text[index - 1] in "，, ") and CONTRAST_RE.match(text, index):
            contrast = index
            break
    turn_start = contrast if contrast is not None else clause_start
    if names_not_problems(text[turn_start:lead_end if lead_end is not None else end]) \
            or STRONG_EXPECTATION_RE.match(_strip_connector(text[turn_start:end])):
        return None  # causes or measures, or "希望…在以下方面加强：": not problems
    if lead_end is not None:
        body = text[turn_start:lead_end].rstrip("：: ")
        if len(text[clause_start:lead_end]) > 40 or (contrast is None and not _generic_after_subject(body)):
            return None
        follows = lead_end
        while follows < len(text) and text[follows] in "：: \t\u3000\n":
            follows += 1
        sure = _SURE_NOUN_RE.search(text[clause_start:lead_end]) is not None and (
            text[lead_end - 1] in "：:" or follows > lead_end or enumerator_at(text, follows) is not None)
        return CueTurn(turn_start, lead_end, False, sure)
    if contrast is None or not negative(sentence[contrast - start:]):
        return None
    body = text[contrast:end]
    generic = _GENERIC_RE.match(_strip_connector(body))
    after = _skip_space(text, end + 1)
    if generic:
        return CueTurn(contrast, end + 1 if end < len(text) else end, False) if after < len(text) else None
    return CueTurn(contrast, contrast + len(body) - len(_strip_connector(body)), True)


_EXISTS_RE = re.compile(r"(?:也还|还|仍然|仍|依然|尚|也)?(?:存在|有)")


def _generic_after_subject(body: str) -> bool:
    """"全县基层党建还存在一些共性问题": a subject, then a generic announcement of problems."""
    if _GENERIC_RE.match(body):
        return True
    found = _EXISTS_RE.search(body)
    return found is not None and found.start() <= 16 and _GENERIC_RE.match(body[found.start():]) is not None


def _strip_connector(body: str) -> str:
    rest = body
    while (match := CONTRAST_RE.match(rest)) is not None:
        rest = rest[match.end():].lstrip("，,、 ")
    return rest.lstrip("，,、 ")


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\u3000\n":
        position += 1
    return position


def _lead_end(text: str, start: int, end: int) -> int | None:
    """End of a lead-in: its colon, its "主要是", or the first item of a list that follows."""
    for position in range(start, end):
        if is_boundary(text, position) and position > start:
            found = enumerator_at(text, position)
            if found is not None and found.number == 1:
                return position
        match = _LEAD_END_RE.match(text, position)
        if match and position > start:
            return match.end()
    if end < len(text) and text[end] == "\n":
        found = enumerator_at(text, _skip_space(text, end))
        if found is not None and found.number == 1 and SHORTFALL_RE.search(text[start:end]) \
                and len(text[start:end]) <= 40:
            return end
    return None


def infer_list(text: str):
    """The first numbered list in text whose items mostly read as shortfalls: (first enumerator) or None."""
    position = 0
    while position < len(text):
        if is_boundary(text, position):
            found = enumerator_at(text, position)
            if found is not None and found.number == 1:
                items, end = read_enumerated(text, found)
                if len(items) >= 2 and sum(1 for item in items if negative(item)) * 2 > len(items) \
                        and not names_not_problems(text[max(0, position - 12):position]):
                    return found
                position = max(end, position + 1)
                continue
        position += 1
    return None


def generic_turn(clause: str) -> bool:
    """"也存在一些需要引起重视的问题": names no problem, only announces them."""
    return _GENERIC_RE.match(_strip_connector(clause)) is not None
