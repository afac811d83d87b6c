"""Shared vocabulary of the transcripts: numerals, enumerators, sentence ends, paragraph starts.

Transcripts mix full- and half-width punctuation and digits, so every character class here
lists both forms.
"""
import re
from dataclasses import dataclass

CN_NUMERAL = "[一二三四五六七八九十百零〇两]+"
DIGITS = "[0-9０-９]+"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"

# A sentence (or a hard-wrapped line) is complete when it ends with one of these,
# possibly followed by closing quotes or brackets.
SENTENCE_END = "。．.！!？?；;：:…※"
CLOSERS = "”’\"'」』）)】》〉"
OPENERS = "“‘「『（(【《〈"
FULL_STOP = "。！!？?"
# Characters after which an enumerator ("二是", "2.") may start a new item.
ITEM_BOUNDARY = "\n。；;：:，,、.．！!？? \t\u3000"

COLON = "[：:]"

# "※※※※" and similar placeholders replace omitted speeches.
SEPARATOR_RE = re.compile(r"^[※＊*]{3,}|^[※＊*\-—…\s]+$|^[（(](?:述职)?(?:报告|内容|发言)?(?:内容)?略[）)]$"
                          r"|^[（(][^（）()]{0,24}(?:略|省略|掌声|鼓掌)[^（）()]{0,8}[）)]$")
# A speaker's label in a verbatim record: "主持人：", "区委书记：", "县委常委、组织部部长：".
SPEAKER_RE = re.compile(r"^(?P<who>主持人|主持|[^\s，,。；;：:“”]{0,12}?(?:书记|部长|县长|区长|旗长|市长|主任|领导))\s*[：:]\s*")

# The county secretary's comment on one unit: "点评：", "点评意见:", "【点评】", "县委书记点评：",
# or a bare "点评" label line.
COMMENT_START_RE = re.compile(
    rf"^(?:[【\[〔]\s*点评(?:意见)?\s*[】\]〕]\s*{COLON}?"
    rf"|(?:[^\s，,。；;：:]{{0,10}}?(?:书记|同志|部长|领导|主任)[^\s，,。；;：:]{{0,4}}?)?点评(?:意见)?(?:如下)?\s*{COLON}"
    rf"|(?!请)(?:[^\s，,。；;：:]{{0,10}}?(?:书记|同志))?点评(?:意见)?\s*$)\s*"
)

# Lines that belong to the meeting's running order, never to a unit's comment; the last
# alternative is a speech's title line ("县委书记总结讲话").
AGENDA_RE = re.compile(
    r"^(?:同志们|刚才|散会|主持人|会议(?:进行|结束|第)|(?:进行)?(?:会议|大会)?第[一二三四五六七八九十]+项议程"
    r"|(?:下面|接下来|现在)[，,、]|(?:首先|其次|最后)[，,]?(?:请|由|进行|我))"
    r"|^[^，,。；;！!？?]{0,36}(?:讲话|主持词|讲话提纲|讲话稿|发言)[）)]?$"
)
# How a closing speech tends to open. Only trusted once a comment has reached its problems or
# expectations: earlier, such a sentence may well be the strengths continuing.
SPEECH_OPENER_RE = re.compile(r"^(?:过去的?一年|一年来|今年以来|总的(?:来)?看|总体(?:上|来)?看|在肯定成绩的同时)")

# Where a unit's comment turns to what the secretary should do next.
STRONG_EXPECTATION_RE = re.compile(
    r"(?:殷切希望|希望|期望|期待|下一步|下步|今后|接下来|努力方向|会议要求|要求[^，,。；;]{0,16}?[：:，,]|[一1１]要[^素害件点求]"
    r"|(?:对|针对|就)?(?:以上|上述|这些|前述)(?:几个|几方面|方面的?)?(?:问题|不足|短板|差距)|究其原因|(?:产生|出现)(?:这些|上述|以上)?问题的原因|原因(?:主要)?(?:是|在于|有)|整改措施|针对(?:上述|以上|这些)"
    r"|[【\[〔](?:努力方向|希望|要求|工作要求|下一步|意见建议|整改)"
    r"|[^，,。；;！!？?\n]{1,12}?同志(?:作为|要|应|务必|必须|今后|下一步|在今后))"
)
WEAK_EXPECTATION_RE = re.compile(r"(?:要(?![素害件点])|应当|应|务必|必须|需要|建议|针对|对此|同时要|请|望)")


@dataclass(frozen=True)
class Enumerator:
    style: str
    number: int
    start: int
    end: int


_ENUMERATOR_STYLES = [
    ("是", re.compile(rf"(?P<n>{CN_NUMERAL})是")),
    ("第", re.compile(rf"第(?P<n>{CN_NUMERAL})(?:是|点[，,、：:]?|[，,、：:])")),
    ("其", re.compile(r"其(?P<n>[一二三四五六七八九十])[，,、：:是]")),
    ("（一）", re.compile(rf"[（(](?P<n>{CN_NUMERAL})[）)]")),
    ("一、", re.compile(rf"(?P<n>{CN_NUMERAL})、")),
    ("（1）", re.compile(rf"[（(](?P<n>{DIGITS})[）)]")),
    # "1." but not "1.5": a decimal is not an enumerator.
    ("1.", re.compile(rf"(?P<n>{DIGITS})(?:[.．、](?![0-9０-９])|[)）])")),
    ("①", re.compile(f"(?P<n>[{CIRCLED}])")),
    ("首先", re.compile(r"(?P<n>首先|其次|再次)是")),
    ("一方面", re.compile(r"(?P<n>一|另一)方面[，,]?")),
]
_ORDINAL_WORDS = {"首先": 1, "其次": 2, "再次": 3, "一": 1, "另一": 2}

_CN_VALUES = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}


def cn_to_int(numeral: str) -> int | None:
    """'十三' -> 13, '二十一' -> 21, '一百零二' -> 102; None when it is not a numeral."""
    total, current = 0, 0
    for char in numeral:
        if char in _CN_VALUES:
            current = _CN_VALUES[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


def _number(style: str, token: str) -> int | None:
    if style == "①":
        return CIRCLED.index(token) + 1
    if style in ("首先", "一方面"):
        return _ORDINAL_WORDS[token]
    if style in ("（1）", "1."):
        return int(token)  # int() reads full-width digits too
    return cn_to_int(token)


def enumerator_at(text: str, pos: int, style: str | None = None) -> Enumerator | None:
    """The enumerator ("一是", "2.", "（3）", "第四，" ...) that starts exactly at pos, if any."""
    for name, regex in _ENUMERATOR_STYLES:
        if style is not None and name != style:
            continue
        match = regex.match(text, pos)
        if match:
            number = _number(name, match.group("n"))
            if number:
                return Enumerator(name, number, match.start(), match.end())
    return None


def is_boundary(text: str, pos: int) -> bool:
    return pos == 0 or text[pos - 1] in ITEM_BOUNDARY


def ends_sentence(line: str) -> bool:
    stripped = line.rstrip().rstrip(CLOSERS)
    if len(stripped) > 1 and stripped[-1] in ".．" and stripped[-2].isdigit():
        return False  # "…；2." is an enumerator whose item was wrapped onto the next line
    return not stripped or stripped[-1] in SENTENCE_END


def sentence_end(text: str, pos: int, stop_at_newline: bool = True) -> int:
    """Index just after the sentence that runs from pos (its full stop and closing quotes kept)."""
    index = pos
    while index < len(text):
        char = text[index]
        if char == "\n" and stop_at_newline:
            return index
        if char in FULL_STOP or (char == "." and not _between_digits(text, index)):
            index += 1
            while index < len(text) and text[index] in CLOSERS:
                index += 1
            return index
        index += 1
    return index


def _between_digits(text: str, index: int) -> bool:
    return 0 < index < len(text) - 1 and text[index - 1].isdigit() and text[index + 1].isdigit()
