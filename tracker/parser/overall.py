"""What lies outside the units: the meeting's title and year, and the county-wide problems
that the closing speech lists ("…还存在一些问题和不足。一是…二是…三是…。这些问题都需要…")."""
import re

from .problems import colon_markers, find_marker, read_problems

# "召开2021年度全县党组织书记抓基层党建工作述职评议会议"
_CONVENED_RE = re.compile(r"召开(?:了|的)?(?:这次|本次)?(?P<title>[^，,。；;：:\n“”]{2,60}?述职评议[^，,。；;：:\n“”]{0,12}?(?:会议|大会))")
# A title line: "在2021年度…述职评议会议上的讲话", "2021年度…述职评议会议主持词"
_TITLE_LINE_RE = re.compile(r"^(?:在)?(?P<title>[^，,。；;：:]{2,60}?述职评议[^，,。；;：:]{0,12}?(?:会议|大会))"
                            r"(?:上的(?:讲话|主持词|总结讲话|点评))?(?:主持词|讲话|记录|纪要|[^，,。；;：:]{0,10}?点评(?:意见)?)?\s*$")
_REVIEW_YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年度")
_YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年")
_HEAD_PARAGRAPHS = 12


def find_title(paragraphs: list[str]) -> str | None:
    head = paragraphs[:_HEAD_PARAGRAPHS]
    for paragraph in head[:3]:  # a title line naming the year wins over "召开全县…会议" without one
        match = _TITLE_LINE_RE.match(paragraph)
        if match and _YEAR_RE.search(match.group("title")):
            return match.group("title")
    for paragraph in head:
        match = _CONVENED_RE.search(paragraph)
        if match:
            return match.group("title")
    for paragraph in head:
        match = _TITLE_LINE_RE.match(paragraph)
        if match:
            return match.group("title")
    return None


def find_year(title: str | None, paragraphs: list[str]) -> int | None:
    """The year reviewed: "2021年度" wins over a date such as "2022年1月"."""
    texts = [title or ""] + paragraphs[:_HEAD_PARAGRAPHS]
    for pattern in (_REVIEW_YEAR_RE, _YEAR_RE):
        for text in texts:
            match = pattern.search(text)
            if match:
                return int(match.group(1))
    return None


def find_overall_problems(paragraphs: list[str]) -> list[str]:
    """The first problem marker in the closing part that is followed by an enumerated list."""
    text = "\n".join(paragraphs)
    marker = find_marker(text, require_list=True)
    if marker is not None:
        items, _ = read_problems(text, marker)
        return items
    for marker in colon_markers(text):  # "…还存在一些共性问题：A；B；C。": unnumbered, after a colon
        items, _ = read_problems(text, marker)
        if len(items) >= 2:
            return items
    return []
