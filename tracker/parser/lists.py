"""Numbered lists inside a 点评: where one item ends and the next begins, and where the list stops because
the expectations begin. Shared by the problem splitter and the cue finder."""
from .patterns import CLOSERS, STRONG_EXPECTATION_RE, Enumerator, enumerator_at, is_boundary, sentence_end

_TRAILING_SEPARATORS = "；;，,、 \t\u3000"


def flatten(text: str) -> str:
    """Rejoin the pieces of a part that paragraph breaks had split."""
    return text.replace("\n", "").strip()


def read_enumerated(text: str, first: Enumerator) -> tuple[list[str], int]:
    """Items numbered 1, 2, 3 ... in one style; the last one ends with its first sentence."""
    items, current = [], first
    while True:
        following = _next_enumerator(text, current)
        if following is None:
            body = current.end + len(text[current.end:]) - len(text[current.end:].lstrip())
            end = min(sentence_end(text, body), _expectation_start(text, body))
            items.append(_item_text(text[current.end:end]))
            return items, end
        items.append(_item_text(text[current.end:following.start]))
        current = following


def _next_enumerator(text: str, current: Enumerator) -> Enumerator | None:
    """The next item's enumerator, unless the list has ended before it (expectations began)."""
    for position in range(current.end, len(text)):
        if not is_boundary(text, position):
            continue
        found = enumerator_at(text, position, current.style)
        if found is None:
            continue
        if found.number != current.number + 1:
            return None
        between = text[current.end:found.start]
        if _expectation_start(between, 0, after_semicolon=False) < len(between):
            return None
        return found
    return None


def _expectation_start(text: str, start: int, strong=STRONG_EXPECTATION_RE, weak=None,
                       after_semicolon: bool = True) -> int:
    """Index where a later sentence opens with an expectation word; len(text) if none.

    Weak words ("要", "应" ...) only count after a full stop: "A；要素保障不足" is still a problem.
    """
    for position in range(start + 1, len(text)):
        breaker = text[position - 1]
        if breaker not in "。！!？?；;\n":
            continue
        full_stop = breaker not in "；;"
        if not full_stop and not after_semicolon:
            continue
        probe = position
        while probe < len(text) and text[probe] in " \t\u3000\n" + CLOSERS:
            probe += 1
        if strong.match(text, probe) or (weak is not None and full_stop and weak.match(text, probe)):
            return probe
    return len(text)


def _item_text(raw: str) -> str:
    return flatten(raw).rstrip(_TRAILING_SEPARATORS)
