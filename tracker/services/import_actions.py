"""The one-click corrections of an import preview, on its state (a plain dict kept beside the upload).

Every action either changes the state or raises DomainError with a message for the person editing.
"""
import re
from datetime import date

from tracker.services.errors import DomainError
from tracker.services.importer import OWNER_CURRENT, OWNER_NEW, OWNER_NONE, is_anonymised

NEW_UNIT = "new"
OVERALL = "o"
# Where a problem may be cut: sentence ends first, else clause breaks.
_SPLIT_MARKS = ("。；;！!？?", "，,、")
_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_DATE_RE = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_CN_DATE_RE = re.compile(r"([〇○零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日")
DATE_LINES = 8


def new_problem(text: str, task_type: str, deadline: str, **extra) -> dict:
    return {"text": text, "task_type": task_type, "deadline": deadline, **extra}


def default_problem(state: dict, text: str) -> dict:
    ongoing = state.get("default_type") == "长期坚持"
    return new_problem(text, state.get("default_type") or "限期整改", "" if ongoing else state.get("default_deadline", ""))


# --- the meeting date ----------------------------------------------------------------------------------------

def _cn_number(text: str) -> int:
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    return _CN_DIGITS[text]


def find_meeting_date(lines: list[str], *, today: date) -> date | None:
    """A full date ("2022年1月20日", "二〇二二年一月二十日") in the title or the first lines; never after today."""
    for line in [line for line in lines if line.strip()][:DATE_LINES]:
        for match in _DATE_RE.finditer(line):
            found = _safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            if found and found <= today:
                return found
        for match in _CN_DATE_RE.finditer(line):
            year = int("".join(str(_CN_DIGITS[ch]) for ch in match.group(1)))
            found = _safe_date(year, _cn_number(match.group(2)), _cn_number(match.group(3)))
            if found and found <= today:
                return found
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


# --- who owns a section's tasks ------------------------------------------------------------------------------

def refresh_owner(section: dict, secretaries: dict[int, tuple[int, str]]) -> None:
    """The default owner: the mapped unit's current secretary, unless the person named is a different real
    name; then nothing is chosen and the user must pick (a new account is never made without being asked)."""
    mapping = section.get("mapping", NEW_UNIT)
    current = secretaries.get(int(mapping)) if mapping.isdigit() else None
    section["current_id"], section["current_name"] = current if current else (None, "")
    name = section.get("secretary", "").strip()
    real = bool(name) and not is_anonymised(name)
    if current and (not real or name == current[1]):
        section["owner"] = OWNER_CURRENT
    elif current:
        section["owner"] = ""
    elif real:
        section["owner"] = OWNER_NEW if mapping == NEW_UNIT else ""
    else:
        section["owner"] = OWNER_NONE


def owner_options(section: dict) -> list[tuple[str, str]]:
    name = section.get("secretary", "").strip()
    options = []
    if section.get("current_id"):
        options.append((OWNER_CURRENT, f"现任书记：{section['current_name']}"))
    if name and not is_anonymised(name):
        options.append((OWNER_NEW, f"新建书记：{name}"))
    options.append((OWNER_NONE, "暂不指定（导入后在“责任单位”页面指定书记）"))
    return options


def owner_error(section: dict) -> str | None:
    allowed = {value for value, _ in owner_options(section)}
    if section.get("owner") in allowed:
        return None
    name = section.get("secretary", "").strip()
    if section.get("current_id") and name and not is_anonymised(name):
        return f"标题中的“{name}”与该单位现任书记“{section['current_name']}”不同，请选择由谁负责"
    if section.get("owner") == OWNER_NEW:
        return f"“{name or '（空）'}”不是真实姓名，不能新建书记账号，请选择其他负责人"
    return "请选择由谁负责本单位的整改任务"


# --- problems ------------------------------------------------------------------------------------------------

def problem_lists(state: dict) -> list[tuple[str, list[dict]]]:
    """(section key, problems): "0", "1", … for the units, "o" for the county-wide problems."""
    return [(str(i), s["problems"]) for i, s in enumerate(state["sections"])] + [(OVERALL, state["overall"])]


def target_label(state: dict, key: str) -> str:
    if key == OVERALL:
        return "全县共性问题"
    return state["sections"][int(key)]["unit_name"] or f"第{int(key) + 1}个单位"


def _list_of(state: dict, key: str) -> list[dict]:
    problems = dict(problem_lists(state)).get(key)
    if problems is None:
        raise DomainError("所选单位不存在，请刷新预览")
    return problems


def _locate(state: dict, ref: str) -> tuple[list[dict], int]:
    match = re.fullmatch(r"s(\d+|o)-p(\d+)", ref or "")
    if not match:
        raise DomainError("无法识别要操作的问题")
    problems = dict(problem_lists(state)).get(match.group(1))
    index = int(match.group(2))
    if problems is None or index >= len(problems):
        raise DomainError("要操作的问题不存在，请刷新预览")
    return problems, index


def split_problem(state: dict, ref: str) -> None:
    """Splits a problem at the line break the user typed, else at the sentence (or clause) end nearest its middle."""
    problems, index = _locate(state, ref)
    text = problems[index]["text"].strip()
    if "\n" in text:
        cut = text.index("\n")
    else:
        marks = []
        for kind in _SPLIT_MARKS:
            marks = marks or [i + 1 for i, ch in enumerate(text[:-1]) if ch in kind]
        if not marks:
            raise DomainError("这条问题只有一句话，无法拆分：请在要拆分的位置换行后再点“拆分”")
        cut = min(marks, key=lambda i: abs(i - len(text) / 2))
    first, second = text[:cut].strip(), text[cut:].strip()
    if not first or not second:
        raise DomainError("拆分后两部分都不能为空")
    problems[index] = {**problems[index], "text": first}
    problems.insert(index + 1, {**problems[index], "text": second})


def merge_with_previous(state: dict, ref: str) -> None:
    problems, index = _locate(state, ref)
    if index == 0:
        raise DomainError("第一条问题之前没有可合并的问题")
    previous = problems[index - 1]
    previous["text"] = previous["text"].rstrip() + problems[index]["text"].lstrip()
    del problems[index]


def delete_problem(state: dict, ref: str) -> None:
    problems, index = _locate(state, ref)
    del problems[index]


def add_problem(state: dict, key: str, text: str) -> None:
    text = (text or "").strip()
    if not text:
        raise DomainError("请先填写要添加的问题描述，再点“添加问题”")
    _list_of(state, key).append(default_problem(state, text))


def move_problem(state: dict, ref: str, key: str) -> None:
    problems, index = _locate(state, ref)
    target = _list_of(state, key)
    if target is problems:
        raise DomainError("请选择另一个单位，再点“移到”")
    target.append(problems.pop(index))


def mark_paragraph(state: dict, index: str, text: str, key: str) -> None:
    """A paragraph of the document (or the part the user kept of it) becomes a problem of the chosen unit."""
    known = {str(p["index"]) for p in state.get("unplaced", [])}
    known.update(str(p["index"]) for s in state["sections"] for p in s.get("source", []))
    if index not in known:
        raise DomainError("要标记的段落不存在，请刷新预览")
    text = (text or "").strip()
    if not text:
        raise DomainError("段落内容为空：请保留要作为问题的文字，再点“标为问题”")
    if not key:
        raise DomainError("请先选择这条问题属于哪个单位")
    _list_of(state, key).append(default_problem(state, text))
    state.setdefault("assigned", {})[index] = target_label(state, key)


def apply_defaults(state: dict) -> None:
    task_type = state.get("default_type") or "限期整改"
    deadline = "" if task_type == "长期坚持" else state.get("default_deadline", "")
    for _, problems in problem_lists(state):
        for problem in problems:
            problem["task_type"], problem["deadline"] = task_type, deadline


def open_warnings(section: dict) -> list[dict]:
    """The reader's warnings still worth showing: "no problems" is settled once the unit has some."""
    return [w for w in section.get("warnings", []) if not (w.get("code") == "no_problems" and section["problems"])]
