"""Per-unit warnings: where the reader is unsure, it says so (codes in model.WARNING_CODES)."""
import re

from .cues import CONTRAST_RE, SHORTFALL_RE, names_not_problems, negative
from .model import warning
from .patterns import STRONG_EXPECTATION_RE, WEAK_EXPECTATION_RE
from .problems import SplitComment

_SENTENCE_RE = re.compile(r"[^。！!？?；;]+[。！!？?；;]?")


def unit_warnings(unit: str, split: SplitComment, loose_heading: bool, loose_match: bool,
                  guessed_comment: bool = False) -> list[dict]:
    found = []
    if loose_heading:
        found.append(warning("heading_loose", f"{unit}：述职标题是按宽松规则识别的，请核对单位和书记姓名"))
    if loose_match:
        found.append(warning("heading_loose", f"{unit}：集中点评中这一段是按序号或部分名称对应到本单位的，请核对"))
    if not split.problems:
        reason = ("找到了问题表述，但没能分出具体问题" if split.found_marker
                  else "点评中没有找到“存在问题”一类的表述")
        found.append(warning("no_problems", f"{unit}：没有识别出问题（{reason}），请对照原文核对，必要时手动标出问题"))
    elif split.how == "inferred":
        found.append(warning("inferred_list", f"{unit}：没有找到问题标记，按内容推断其中一个编号列表是问题，请核对"))
    elif split.how == "clause":
        found.append(warning("no_marker", f"{unit}：没有明确的问题标记，按“但…不够/不足”等字样认定了问题，请核对"))
    elif split.how == "cue":
        found.append(warning("kind_guessed", f"{unit}：问题部分是按“不足、差距、有待”等字样判断的，请核对问题条目"))
    if split.by_sentence:
        found.append(warning("split_guessed", f"{unit}：问题没有编号，是按句号、分号拆分成{len(split.problems)}条的，请核对条数"))
    if len(split.problems) == 1 and _several_in_one(split.problems[0]):
        found.append(warning("single_problem", f"{unit}：问题部分只分出一条但含有多句话，可能应拆成多条"))
    leftover = _suspicious(split.strengths, split.expectations)
    if leftover:
        found.append(warning("maybe_missed", f"{unit}：问题之外还有像问题的表述（“{leftover[:30]}”），可能漏识别，请核对"))
    if guessed_comment:
        found.append(warning("comment_guessed", f"{unit}：没有“点评：”字样，按位置把标题（或※※※）之后的文字当作点评，请核对"))
    return found


def _several_in_one(problem: str) -> bool:
    """Several sentences, or several clauses that each judge something wanting ("A不够深入，B有差距")."""
    body = problem.rstrip("。；;")
    if re.search(r"[。；;][^。；;]{6,}", body):
        return True
    clauses = [c for c in re.split(r"[，,]", body) if len(c) >= 6]
    return sum(1 for c in clauses if negative(c)) >= 2


def _suspicious(strengths: str, expectations: str) -> str | None:
    """A sentence outside the problems that reads like one: a contrast with a shortfall in the strengths,
    or a negative sentence among the expectations that does not ask for anything."""
    for sentence in _SENTENCE_RE.findall(strengths):
        body = sentence.lstrip("，, ")
        if CONTRAST_RE.match(body) and SHORTFALL_RE.search(body) and not names_not_problems(body):
            return body
    for sentence in _SENTENCE_RE.findall(expectations):
        body = sentence.strip("，, ")
        if STRONG_EXPECTATION_RE.match(body) or WEAK_EXPECTATION_RE.match(body) or names_not_problems(body):
            continue
        if SHORTFALL_RE.search(body) and negative(body) and not re.search(r"要|应|希望|加强|进一步|切实|着力", body):
            return body
    return None
