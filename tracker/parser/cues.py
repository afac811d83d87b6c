"""What a turn in a 点评 is made of, as small cues rather than whole phrases.

A turn to problems is a word of shortfall (问题, 不足, 差距 …) in a clause that either opens with a
contrast (但, 同时, 然而, 也要看到 …) or introduces what follows (ends with "：" or is followed by the
first item of a list). A turn to expectations opens a sentence with 希望, 要求, 下一步, 今后, 一要 …
Labels (【存在问题】, "存在问题：" alone, a table's label cell) name the part outright.
"""
import re

SHORTFALL = ("问题", "不足", "差距", "短板", "弱项", "薄弱", "欠缺", "有待", "不够", "不容忽视", "需要改进",
             "需改进", "改进的", "不到位", "瑕疵", "症结", "短处", "缺憾", "不尽如人意", "还需加强", "仍需加强",
             "需要加强", "还需要加强", "亟待", "亟需", "还需下功夫", "还要下功夫")
SHORTFALL_RE = re.compile("|".join(SHORTFALL))
CONTRAST_RE = re.compile(r"(?:同时也要(?:清醒地)?看到|但也要(?:清醒地)?看到|也要清醒地?看到|也应(?:当)?看到|还要看到|也要看到|"
                         r"在肯定成绩的同时|与此同时|但同时|但是|但|同时|然而|不过|只是|对照[^，,。]{0,12}要求)")
# Words of a part that is not problems even though it names them: causes, measures, ways of working.
NOT_PROBLEMS_RE = re.compile(r"原因|根源|整改措施|整改方向|措施|办法|举措|做法|经验|成效|亮点|体现在|表现在工作|"
                             r"解决了|化解了|破解了|导向|整改工作|问题整改|点评问题")
# "成效不明显", "措施不实", "办法不多": the word of a strength or a measure judged wanting is a problem.
_JUDGED_WANTING_RE = re.compile(r"\s*(?:还|仍|也|都|均)?(?:不|欠|缺|差|未|没有|有限|一般|较少|偏少)")


def names_not_problems(text: str) -> bool:
    """Whether `text` speaks of causes, measures or strengths (not problems), unless each such word is
    itself judged wanting."""
    return any(_JUDGED_WANTING_RE.match(text, match.end()) is None for match in NOT_PROBLEMS_RE.finditer(text))


# What a problem item tends to contain: a negative judgement.
NEGATIVE_RE = re.compile(r"不[够足强高严实到好力细深全准及明快大]|有待|薄弱|欠缺|缺乏|滞后|偏[低少弱高慢]|较[少弱低差慢]|"
                         r"流于|形式主义|宽松软|短板|弱项|差距|问题|仍[有需然存]|尚[未不需]|未能|没有|不规范|不平衡|"
                         r"不充分|脱节|空壳|老化|断层|难以|乏力|失之|还需|仍需|亟待|亟需|突出|较多|频发|落后")

# Labels: a short name of a part, in 【】, alone on a line, before a colon, or as "一、问题" headings.
_LABEL_WORDS = {
    "problems": re.compile(r"问题|不足|差距|短板|弱项|薄弱|欠缺|改进"),
    "expectations": re.compile(r"希望|要求|努力方向|方向|下一步|建议|意见|期望|今后|打算|思路|整改"),
    "strengths": re.compile(r"亮点|成绩|成效|做法|经验|特色|优点|肯定|总体评价|评价|工作情况|主要工作|基本情况"),
    "causes": re.compile(r"原因|根源"),
}
_LABEL_ENUM = r"(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[）)]|[0-9０-９]+[、.．])?"
LABEL_RE = re.compile(
    rf"(?:^|(?<=[。！!？?；;\n]))\s*(?:"
    rf"[【\[〔](?P<bracketed>[^】\]〕\n]{{2,10}})[】\]〕]\s*[：:]?"
    rf"|{_LABEL_ENUM}(?P<colon>[^\s，,。；;：:！!？?\n【】]{{2,10}})[：:]"
    rf"|{_LABEL_ENUM}(?P<alone>[^\s，,。；;：:！!？?\n【】]{{2,8}})(?=\n)"
    rf")"
)


def label_kind(name: str) -> str | None:
    """Which part a label names, or None when it is not a label of a 点评's part."""
    name = name.strip()
    if _LABEL_WORDS["causes"].search(name):
        return "causes"
    if _LABEL_WORDS["strengths"].search(name) and not _LABEL_WORDS["problems"].search(name):
        return "strengths"
    if _LABEL_WORDS["problems"].search(name) and not re.search(r"整改|方向|要求|希望|建议", name):
        return "problems"
    if _LABEL_WORDS["expectations"].search(name):
        return "expectations"
    return None


def find_labels(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, kind, label) of each label of a part; empty unless a problem label is among them."""
    found = []
    for match in LABEL_RE.finditer(text):
        name = match.group("bracketed") or match.group("colon") or match.group("alone")
        kind = label_kind(name)
        if kind is None:
            continue
        if match.group("alone") and kind == "problems" and len(name) > 6:
            continue
        if match.group("colon") and not _short_label(name):
            continue
        found.append((match.start() + len(match.group(0)) - len(match.group(0).lstrip()), match.end(), kind, name))
    if not any(kind == "problems" for _, _, kind, _ in found):
        return []
    return found


_SENTENCE_OPENING_RE = re.compile(r"但|还|也|仍|有|以下|如下|一些|几个|主要(?:问题|不足|差距)|存在(?:的|以下|一些)")


def _short_label(name: str) -> bool:
    """"存在问题：" or "不足之处：" is a label; "但还存在以下问题：" is a marker inside a sentence."""
    return not _SENTENCE_OPENING_RE.match(name) and len(name) <= 6


def negative(text: str) -> bool:
    return NEGATIVE_RE.search(text) is not None


_LABEL_LINE_RE = re.compile(rf"^{_LABEL_ENUM}\s*(?:[【\[〔](?P<b>[^】\]〕]{{2,10}})[】\]〕]|(?P<n>[^\s，,。；;：:！!？?【】]{{2,8}}))\s*[：:]?$")


def is_label_line(line: str) -> bool:
    """A line that only names a part ("（二）存在问题", "【努力方向】", "问题："): it never continues."""
    match = _LABEL_LINE_RE.match(line)
    return bool(match) and label_kind(match.group("b") or match.group("n")) is not None
