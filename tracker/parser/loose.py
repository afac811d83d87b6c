"""Headings that the strict pattern misses: "请县教育局局长张明同志述职", "请王芳同志（县妇联党组书记）述职",
"下面请红旗嘎查述职". Only trusted where a heading stands (sections.py checks what follows)."""
import re

from .patterns import CIRCLED, CN_NUMERAL, DIGITS

_ENUM = (rf"(?:{CN_NUMERAL}[、.．]|[（(]{CN_NUMERAL}[）)]|{DIGITS}[.．、]|[（(]{DIGITS}[）)]|{DIGITS}[)）]"
         rf"|第{CN_NUMERAL}[，,、]?|[{CIRCLED}])")
LOOSE_RE = re.compile(
    rf"^\s*(?:{_ENUM})?\s*(?:(?:首先|其次|然后|接下来|下面|再次|最后|现在)[，,]?\s*)?(?:由|有请|请)?\s*"
    r"(?P<body>[^，,。；;！!？?]{2,50}?)\s*(?:同志)?\s*(?:[（(](?P<role>[^）)]{1,24})[）)])?\s*(?:作|进行|来)?述职(?:报告|发言)?"
    r"\s*(?:[，,]?\s*(?:请)?(?:大家)?(?:热烈)?(?:掌声)?欢迎[！!。]?|[。.！!；;])?\s*$"
)
_NOT_A_HEADING_RE = re.compile(r"依次|逐一|分别|各|书面|评议|时间|大家|以下|们")
UNIT_SUFFIX = (r"(?:苏木|嘎查|街道|社区|开发区|园区|新区|管委会|中心|公司|学校|医院|机关工委|工委|党总支|总支|支部|党委|党组"
               r"|联合会|妇联|团委|总工会|镇|乡|村|局|委|办|部|院|所|站|队|馆|会)")
_TITLE_RE = re.compile(r"(?:党委[（(]党组[)）]|机关党委|党工委|党总支|党支部|党委|党组|总支部?|支部|工委)?(?:副)?书记"
                       r"|局长|主任|镇长|乡长|主席|院长|部长|校长|站长|所长|苏木达|嘎查达|区长|经理")
_UNIT_RE = re.compile(rf"^(?P<unit>.+?{UNIT_SUFFIX})(?=[^镇乡村局委办部院所站队馆会]|$)")


NO_UNIT = "（未写明单位）"


def loose_heading(line: str) -> tuple[str, str, str, str] | None:
    """(line, unit, title, name) of a heading-like line, or None."""
    match = LOOSE_RE.match(line)
    if not match and line.startswith(("主持人：", "主持人:", "主持：")):
        match = LOOSE_RE.match(line.split("：", 1)[-1].split(":", 1)[-1])
    if not match:
        return None
    body = match.group("body").strip()
    if _NOT_A_HEADING_RE.search(body) or not body:
        return None
    role = match.group("role") or ""
    title_match = _TITLE_RE.search(body)
    if title_match:
        unit, title = body[:title_match.start()], title_match.group(0)
        name = re.sub(r"^(?:[、，,][^、，,]{1,8}?(?:主任|长|主席|达|经理))*", "", body[title_match.end():])
    elif _UNIT_RE.match(body):
        found = _UNIT_RE.match(body)
        unit, title, name = found.group("unit"), "", body[found.end():]
    elif role and _TITLE_RE.search(role):
        inner = _TITLE_RE.search(role)
        name, unit, title = body, role[:inner.start()], inner.group(0)
    else:
        unit, title, name = body, "", ""
    unit = unit.strip("“”\"'《》 ")
    if role and not title:
        title = role
    if role and not re.search(rf"{UNIT_SUFFIX}$", unit) and re.fullmatch(r"[^\s]{1,6}", body):
        return line.strip(), NO_UNIT, title, body  # "何建军同志（主持党组工作）述职": the unit is not named
    if not unit or not re.search(rf"{UNIT_SUFFIX}$", unit):
        return None
    return line.strip(), unit, title, name.strip()


_UNIT_LINE_RE = re.compile(rf"^\s*(?:{_ENUM})?\s*[【\[〔]?(?P<unit>[^\s，,。；;：:【】\[\]（）()]{{2,16}}?{UNIT_SUFFIX})[】\]〕]?"
                           r"\s*(?:[（(](?P<who>[^）)]{1,20})[）)])?\s*[：:。.]?$")


def unit_line(line: str) -> tuple[str, str, str, str] | None:
    """(line, unit, title, name) of a line naming only a unit, with its secretary in brackets if at all."""
    match = _UNIT_LINE_RE.match(line)
    if not match:
        return None
    who = match.group("who") or ""
    title = _TITLE_RE.search(who)
    name = who[title.end():] if title else who
    return line.strip(), match.group("unit"), title.group(0) if title else "", name.removesuffix("同志")


def unit_from_comment(comment: str) -> str | None:
    """The unit a 点评 opens with ("县交通运输局坚持…"), for a heading that names only the person."""
    match = re.match(rf"(?P<unit>[^\s，,。；;：:“”]{{2,14}}?{UNIT_SUFFIX})(?=[^镇乡村局委办部院所站队馆会])", comment)
    return match.group("unit") if match else None
